/**
 * DSSE Pre-Authentication Encoding, exactly as the DSSE v1 spec defines it:
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * LEN is the byte length as ASCII decimal with no leading zeros; type is UTF-8.
 */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

/**
 * `pae(payloadType, body)` for a body not yet written: the encoding's bytes with `bodyLength`
 * bytes left at `at` for the caller to write the body into. The body is then written once, in
 * place (a 10,000-change receipt's payload is 7 MB: no second buffer and copy).
 */
export function paeWithRoom(payloadType: string, bodyLength: number): { message: Buffer; at: number } {
  const head = `DSSEv1 ${Buffer.byteLength(payloadType, 'utf8')} ${payloadType} ${bodyLength} `;
  const at = Buffer.byteLength(head, 'utf8');
  const message = Buffer.allocUnsafe(at + bodyLength);
  message.write(head, 0, 'utf8');
  return { message, at };
}

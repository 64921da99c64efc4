import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of the given bytes. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>`, the digest notation used in every receipt and CLI output. */
export function sha256Tagged(data: Buffer | string): string {
  return `sha256:${sha256Hex(data)}`;
}

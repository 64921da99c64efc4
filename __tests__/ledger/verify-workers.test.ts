/**
 * verifyLog checks signatures in batches, on worker threads for big logs. The report must be
 * the same as checking every entry in turn on the calling thread: same problems, same order,
 * the first bad entry named first, and the advisory keyid never changing the answer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DsseEnvelope, serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { encodeEntry, entryHash, GENESIS_PREV, seqName } from '../../ledger/entry';
import { openStore } from '../../ledger/open-store';
import { verifyLog } from '../../ledger/verify';
import { parseTrustedKey, SigningKey } from '../../attest/sign/ed25519';
import { makeKey, tempDir } from './helpers';

const N = 1300; // more than two batches of 512

describe('verifyLog with signature batches on worker threads', () => {
  const dir = tempDir('verify-workers');
  const a = makeKey(join(dir, 'k'), 'a');
  const b = makeKey(join(dir, 'k'), 'b');
  const untrusted = makeKey(join(dir, 'k'), 'c');
  const trusted = [a, b].map((k) => parseTrustedKey(require('node:fs').readFileSync(k.pub), k.pub));
  const spec = join(dir, 'store');

  const envelope = (i: number, key: SigningKey): DsseEnvelope => {
    const st = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `w-${i}`, digest: { sha256: '0'.repeat(64) } }],
    };
    return signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), key);
  };

  beforeAll(() => {
    mkdirSync(join(spec, 'entries'), { recursive: true });
    let prev = GENESIS_PREV;
    for (let s = 1; s <= N; s++) {
      let env = envelope(s, s % 3 === 0 ? b.signing : a.signing);
      if (s === 5)
        env = { ...env, signatures: [{ keyid: a.signing.keyid, sig: envelope(s, b.signing).signatures[0].sig }] }; // wrong keyid hint: b's signature labelled as a's
      if (s === 7) env = { ...env, signatures: [{ keyid: '', sig: env.signatures[0].sig }] }; // no hint
      if (s === 9) env = { ...env, signatures: [...envelope(s, untrusted.signing).signatures, ...env.signatures] }; // second signature is the trusted one
      if (s === 600 || s === 1201) env = envelope(s, untrusted.signing); // not signed by a trusted key
      if (s === 900) env = { ...env, payload: Buffer.from('{"forged":true}').toString('base64') }; // payload swapped after signing
      if (s === 901) env = { ...env, signatures: [{ keyid: b.signing.keyid, sig: 'AAAA' }] }; // garbage signature
      const bytes = encodeEntry(s, prev, Buffer.from(serializeEnvelope(env)));
      writeFileSync(join(spec, 'entries', `${seqName(s)}.json`), bytes);
      prev = entryHash(bytes);
    }
    writeFileSync(join(spec, 'entries', 'stray.json'), '{}'); // an unknown file, reported before the entries
  });

  it('reports the same junk, in scan order, on the calling thread and on 2 workers', async () => {
    const store = openStore(spec);
    const inline = await verifyLog(store, { trusted, origin: 'test', workers: 0 });
    const pooled = await verifyLog(store, { trusted, origin: 'test', workers: 2 });
    const name = (s: number) => join(spec, 'entries', `${seqName(s)}.json`);
    const unsigned = `envelope not signed by a trusted key (${a.pub}, ${b.pub}); not evidence, ignored (an approval appended before its approver's key was committed counts once that key is passed with --pub or --approver)`;
    expect(inline.junk).toEqual([
      `${join(spec, 'entries', 'stray.json')}: unexpected object in the log (not an entry or checkpoint); not the ledger's, ignored`,
      `${name(600)}: ${unsigned}`,
      `${name(900)}: ${unsigned}`,
      `${name(901)}: ${unsigned}`,
      `${name(1201)}: ${unsigned}`,
    ]);
    expect([inline.ok, inline.problemCount]).toEqual([true, 0]);
    expect(pooled).toEqual(inline);
    expect(inline.size).toBe(N);
  });

  it('keeps the junk count exact past maxProblems, naming the first; with strict it fails the run', async () => {
    const r = await verifyLog(openStore(spec), { trusted, origin: 'test', workers: 2, maxProblems: 2, strict: true });
    expect(r.junkCount).toBe(5);
    expect(r.junk).toHaveLength(2);
    expect(r.junk[1]).toMatch(/000000000600\.json: envelope not signed by a trusted key/);
    expect(r.ok).toBe(false);
  });

  it('fails every envelope when only an untrusted key is given', async () => {
    const only = [parseTrustedKey(require('node:fs').readFileSync(untrusted.pub), untrusted.pub)];
    const r = await verifyLog(openStore(spec), { trusted: only, origin: 'test', workers: 2 });
    // Entries 9, 600 and 1201 carry a signature by this key; every other envelope fails.
    expect(r.junkCount).toBe(1 + N - 3);
    expect(r.ok).toBe(true);
  });
});

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { signBytes, keyIdOf } from '../../attest/sign/ed25519';
import { noteKeyHash, parseCheckpoint, signCheckpoint, verifyCheckpoint } from '../../ledger/checkpoint';
import { leafHash, rootOfLeafHashes } from '../../ledger/merkle';

// The signed-note example from golang.org/x/mod/sumdb/note (the C2SP signed-note reference):
// private key PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz.
const SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG_LINE =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';

function keyFromSeed(seed: Buffer) {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

describe('C2SP signed-note checkpoints', () => {
  const key = keyFromSeed(SEED);
  const trusted = [{ publicKey: key.publicKey, keyid: key.keyid, source: 'peter.pub' }];

  it('computes the key hash and Ed25519 note signature of the Go reference example', () => {
    expect(noteKeyHash('PeterNeumann', key.publicKey).toString('hex')).toBe('c74f20a3');
    const blob = Buffer.concat([noteKeyHash('PeterNeumann', key.publicKey), signBytes(key, Buffer.from(TEXT))]);
    expect(`— PeterNeumann ${blob.toString('base64')}`).toBe(SIG_LINE);
  });

  it('writes origin, size, base64 root, a blank line and the signature line', () => {
    const root = rootOfLeafHashes([leafHash(Buffer.from('a'))]);
    const note = signCheckpoint({ origin: 'kfm-infra/audit', size: 1, root }, key);
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual(['kfm-infra/audit', '1', root.toString('base64'), '']);
    expect(lines[4]).toMatch(/^— kfm-infra\/audit [A-Za-z0-9+/]+=*$/);
    const cp = parseCheckpoint(note, 'cp');
    expect(cp.size).toBe(1);
    expect(verifyCheckpoint(cp, trusted, 'kfm-infra/audit', 'cp').source).toBe('peter.pub');
  });

  it('rejects an altered checkpoint, naming the file', () => {
    const root = rootOfLeafHashes([leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))]);
    const note = signCheckpoint({ origin: 'kfm-infra/audit', size: 2, root }, key);
    const altered = note.replace('\n2\n', '\n1\n');
    expect(() => verifyCheckpoint(parseCheckpoint(altered, 'old.cp'), trusted, 'kfm-infra/audit', 'old.cp')).toThrow(
      /old\.cp: no signature verifies/,
    );
    expect(() => parseCheckpoint(note.replace(/\n— .*\n$/, '\n'), 'cut.cp')).toThrow(/cut\.cp/);
    expect(() => verifyCheckpoint(parseCheckpoint(note, 'x.cp'), trusted, 'other/log', 'x.cp')).toThrow(/origin/);
  });
});

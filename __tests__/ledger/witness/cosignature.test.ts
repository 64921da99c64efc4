import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, SigningKey, verifyBytes } from '../../../attest/sign/ed25519';
import { noteKeyHash, parseCheckpoint, signCheckpoint } from '../../../ledger/checkpoint';
import { EMPTY_ROOT, hashRanges, consistencyRanges, leafHash, rootOfLeafHashes } from '../../../ledger/merkle';
import {
  checkQuorum,
  cosign,
  cosignatureKeyId,
  cosignedMessage,
  requireQuorum,
  splitCosignature,
} from '../../../ledger/cosignature';
import { formatAddCheckpoint, originHash, WitnessCore } from '../../../ledger/witness/witness';
import { makeKey, tempDir } from '../helpers';

/** An Ed25519 public key from its 32 raw bytes (as vkeys carry it). */
function rawKey(raw: Buffer): KeyObject {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** A signed-note verifier key `name+hex(keyID)+base64(type ‖ key)`. */
function vkey(text: string) {
  const [name, id, ...rest] = text.split('+');
  const b = Buffer.from(rest.join('+'), 'base64');
  return { name, id, type: b[0], key: rawKey(b.subarray(1)) };
}

function keyFromSeed(seed: Buffer): SigningKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

describe('cosignature/v1 known answers', () => {
  it('computes the key ID of a published cosignature/v1 verifier key (type 0x04)', () => {
    // From transparency-dev/formats note tests: a live witness's cosignature/v1 vkey.
    const v = vkey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2');
    expect(v.type).toBe(0x04);
    expect(cosignatureKeyId(v.name, v.key).toString('hex')).toBe(v.id);
    // The same key as a plain note key (type 0x01) has another ID: the algorithm byte differs.
    expect(noteKeyHash(v.name, v.key).toString('hex')).not.toBe(v.id);
  });

  it('keeps the log note key ID and signature of the signed-note spec example (type 0x01)', () => {
    const v = vkey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    const sig = Buffer.from(
      'Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=',
      'base64',
    );
    expect(noteKeyHash(v.name, v.key).toString('hex')).toBe(v.id);
    expect(sig.subarray(0, 4).toString('hex')).toBe(v.id);
    expect(verifyBytes(v.key, Buffer.from('This is an example message.\n'), sig.subarray(4))).toBe(true);
    const t = vkey('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6');
    expect(noteKeyHash(t.name, t.key).toString('hex')).toBe(t.id);
  });

  it('reads the big-endian timestamps of published cosignatures', () => {
    // tlog-cosignature's example line; its example message says "time 1679315147".
    const spec = Buffer.from(
      'jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==',
      'base64',
    );
    expect(splitCosignature(spec.subarray(4))?.timestamp).toBe(1679315147);
    // transparency-dev/formats TestCoSigV1Timestamp.
    const tdev = Buffer.from(
      'ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==',
      'base64',
    );
    expect(splitCosignature(tdev.subarray(4))?.timestamp).toBe(1727964367);
    // A plain note signature (no timestamp, 64 bytes) is not a cosignature.
    expect(splitCosignature(Buffer.alloc(64, 1))).toBeUndefined();
  });

  it('signs exactly the message tlog-cosignature spells out', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(cosignedMessage(body, 1679315147).toString('utf8')).toBe(
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
    const key = keyFromSeed(Buffer.alloc(32, 7));
    const line = cosign(body, 'witness.example.com/w1', key, 1679315147);
    const blob = Buffer.from(line.slice('— witness.example.com/w1 '.length, -1), 'base64');
    expect(blob.length).toBe(4 + 8 + 64);
    expect(blob.subarray(0, 4)).toEqual(cosignatureKeyId('witness.example.com/w1', key.publicKey));
    expect(blob.readBigUInt64BE(4)).toBe(1679315147n);
    expect(verifyBytes(key.publicKey, cosignedMessage(body, 1679315147), blob.subarray(12))).toBe(true);
  });
});

describe('quorum', () => {
  const dir = tempDir('quorum');
  const log = makeKey(dir, 'log');
  const [a, b, c, other] = ['a', 'b', 'c', 'other'].map((n) => makeKey(dir, n));
  const w = (name: string, k: typeof a) => ({
    name,
    key: { publicKey: k.signing.publicKey, keyid: k.signing.keyid, source: name },
  });
  const note = signCheckpoint({ origin: 'kfm-infra/audit', size: 1, root: leafHash(Buffer.from('x')) }, log.signing);
  const text = parseCheckpoint(note, 'n').text;

  it('counts valid cosignatures from distinct configured witnesses only', () => {
    const cosigned = note + cosign(text, 'w/a', a.signing, 100) + cosign(text, 'w/b', b.signing, 101);
    const cp = parseCheckpoint(cosigned, 'cp');
    const ws = [w('w/a', a), w('w/b', b), w('w/c', c)];
    expect(checkQuorum(cp, ws, 2)).toMatchObject({ ok: true, cosigners: ['w/a', 'w/b'] });
    expect(checkQuorum(cp, ws, 3).ok).toBe(false);
    expect(() => requireQuorum(cp, ws, 3, 'cp.txt')).toThrow(/cp\.txt: not witnessed: 2 of 3 .*w\/c: no cosignature/);
  });

  it('ignores a cosignature made with another key than the configured one', () => {
    const cp = parseCheckpoint(note + cosign(text, 'w/a', other.signing, 100), 'cp');
    expect(checkQuorum(cp, [w('w/a', a)], 1)).toMatchObject({ ok: false, cosigners: [] });
  });

  it('fails a note whose cosignature line matches a configured key but does not verify', () => {
    const line = cosign(text, 'w/a', a.signing, 100);
    const prefix = '— w/a ';
    const blob = Buffer.from(line.slice(prefix.length, -1), 'base64');
    blob[blob.length - 1] ^= 1; // one bit of the Ed25519 signature
    const bad = `${prefix}${blob.toString('base64')}\n`;
    const cp = parseCheckpoint(note + bad + cosign(text, 'w/b', b.signing, 100), 'cp');
    const r = checkQuorum(cp, [w('w/a', a), w('w/b', b)], 1);
    expect(r.ok).toBe(false);
    expect(r.checks[0].status).toBe('invalid');
  });

  it('does not accept a cosignature over another tree', () => {
    const note2 = signCheckpoint({ origin: 'kfm-infra/audit', size: 2, root: EMPTY_ROOT }, log.signing);
    const moved = note2 + cosign(text, 'w/a', a.signing, 100);
    expect(checkQuorum(parseCheckpoint(moved, 'cp'), [w('w/a', a)], 1).ok).toBe(false);
  });
});

describe('the witness state machine (in process)', () => {
  const dir = tempDir('witness-core');
  const log = makeKey(dir, 'log');
  const wkey = makeKey(dir, 'w');
  const leaves = Array.from({ length: 8 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
  const fork = Array.from({ length: 8 }, (_, i) => leafHash(Buffer.from(`fork ${i}`)));
  const noteAt = (n: number, ls = leaves) =>
    signCheckpoint({ origin: 'kfm-infra/audit', size: n, root: rootOfLeafHashes(ls.slice(0, n)) }, log.signing);
  const proof = (m: number, n: number, ls = leaves) => hashRanges(ls.slice(0, n), consistencyRanges(m, n));
  let clock = 1_700_000_000;
  const open = (state: string) =>
    new WitnessCore({
      name: 'example.org/w',
      key: wkey.signing,
      logs: [
        {
          origin: 'kfm-infra/audit',
          keys: [{ publicKey: log.signing.publicKey, keyid: log.signing.keyid, source: 'log' }],
        },
      ],
      stateDir: state,
      now: () => clock++,
    });
  const body = (old: number, p: Buffer[], note: string) => Buffer.from(formatAddCheckpoint(old, p, note));

  it('answers each protocol case with the status tlog-witness requires', async () => {
    const w = open(join(dir, 'state1'));
    expect((await w.addCheckpoint(Buffer.from('nonsense'))).status).toBe(400);
    expect((await w.addCheckpoint(body(0, [], noteAt(3).replace('kfm-infra/audit', 'other/log')))).status).toBe(404);
    const stranger = makeKey(dir, 'stranger');
    const forged = signCheckpoint(
      { origin: 'kfm-infra/audit', size: 3, root: rootOfLeafHashes(leaves.slice(0, 3)) },
      stranger.signing,
    );
    expect((await w.addCheckpoint(body(0, [], forged))).status).toBe(403);
    expect((await w.addCheckpoint(body(4, [], noteAt(3)))).status).toBe(400);
    expect((await w.addCheckpoint(body(0, [leaves[0]], noteAt(3)))).status).toBe(422);
    const first = await w.addCheckpoint(body(0, [], noteAt(3)));
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/^— example\.org\/w [A-Za-z0-9+/=]+\n$/);
    const stale = await w.addCheckpoint(body(0, [], noteAt(5)));
    expect(stale).toEqual({ status: 409, contentType: 'text/x.tlog.size', body: '3\n' });
    expect((await w.addCheckpoint(body(3, proof(3, 5, fork), noteAt(5, fork)))).status).toBe(422);
    expect((await w.addCheckpoint(body(3, [], noteAt(3, fork)))).status).toBe(422);
    expect((await w.addCheckpoint(body(3, proof(3, 5), noteAt(5)))).status).toBe(200);
    // The answer verifies as a cosignature over exactly that checkpoint.
    const again = await w.addCheckpoint(body(5, [], noteAt(5)));
    const cp = parseCheckpoint(noteAt(5) + again.body, 'cp');
    const ws = [{ name: 'example.org/w', key: { publicKey: wkey.signing.publicKey, keyid: '', source: 'w' } }];
    expect(checkQuorum(cp, ws, 1).ok).toBe(true);
    expect(w.latest(originHash('kfm-infra/audit'))).toContain('\n5\n');
  });

  it('keeps what it cosigned across a restart, and refuses to run on a corrupt state file', async () => {
    const state = join(dir, 'state2');
    expect((await open(state).addCheckpoint(body(0, [], noteAt(6)))).status).toBe(200);
    const after = await open(state).addCheckpoint(body(0, [], noteAt(2)));
    expect(after).toMatchObject({ status: 409, body: '6\n' });
    const [file] = readdirSync(state);
    writeFileSync(join(state, file), readFileSync(join(state, file), 'utf8').replace('\n6\n', '\nsix\n'));
    expect(() => open(state)).toThrow(/witness state is corrupt/);
  });

  it('serializes concurrent submissions: from one state, exactly one of many cosigns', async () => {
    const w = open(join(dir, 'state3'));
    expect((await w.addCheckpoint(body(0, [], noteAt(2)))).status).toBe(200);
    const reqs = [3, 4, 5, 6].flatMap((n) => [
      body(2, proof(2, n), noteAt(n)),
      body(
        2,
        proof(2, n, [...leaves.slice(0, 2), ...fork.slice(2)]),
        noteAt(n, [...leaves.slice(0, 2), ...fork.slice(2)]),
      ),
    ]);
    const answers = await Promise.all(reqs.map((r) => w.addCheckpoint(r)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(reqs.length - 1);
  });
});

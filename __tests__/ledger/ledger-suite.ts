/**
 * The ledger contract, run against one store kind. fs-store.test.ts and s3-store.test.ts call
 * this with an adapter that knows how to tamper with that store the way an attacker with write
 * access to it could (S3: through the S3 API, where Object Lock only allows new versions and
 * delete markers).
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Tagged } from '../../core/digest';
import { decodeEntry, encodeEntry, entryHash, GENESIS_PREV } from '../../ledger/entry';
import { toStored } from '../../ledger/entry-check';
import { openStore } from '../../ledger/open-store';
import { initStore, requireStore } from '../../ledger/init-store';
import { bundlePath } from '../../ledger/store';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { parseTrustedKey } from '../../attest/sign/ed25519';
import { noteKeyHash, parseCheckpoint, signCheckpoint } from '../../ledger/checkpoint';
import { addSignatureLines, cosign } from '../../ledger/cosignature';
import { IndexBuilder, signIndex } from '../../ledger/log-index-build';
import { BUNDLE_SIZE, INDEX_DIR, indexPath, indexPathSize, shardPath } from '../../ledger/layout';
import { parseIndex, shardOfCommit, shardOfDigest } from '../../ledger/log-index-format';
import { readForGate } from '../../ledger/gate-read';
import { pinnedBundleDigest } from '../../gates/pins';
import * as ev from '../gates/support/evidence';
import { writeFileSync as writeFile } from 'node:fs';
import { jsonLines, kfm, kfmAsync, KeyFiles, makeEnvelopes, makeKey, tempDir } from './helpers';

export interface StoreAdapter {
  /** A fresh, empty store spec. */
  newSpec(): string;
  readonly env: NodeJS.ProcessEnv;
  /** Raw bytes of entry `seq` as the reader sees it. */
  readRaw(spec: string, seq: number): Promise<Buffer>;
  /** Write raw bytes as entry `seq`, as an attacker would (fs: overwrite; S3: a new version). */
  writeRaw(spec: string, seq: number, bytes: Buffer): Promise<void>;
  /** Remove entry `seq` as far as the store allows (fs: unlink; S3: delete marker). */
  deleteEntry(spec: string, seq: number): Promise<void>;
  /** Put an unrelated object into the store's entries area. */
  putStray(spec: string, name: string, bytes: Buffer): Promise<void>;
  /** Write derived data (a bundle, an index object) as an attacker would (fs: overwrite; S3: a new version). */
  writeDerived(spec: string, path: string, bytes: Buffer): Promise<void>;
  /** Remove derived data as far as the store allows (fs: unlink; S3: delete marker). */
  deleteDerived(spec: string, path: string): Promise<void>;
}

export function ledgerSuite(kind: string, adapter: () => StoreAdapter): void {
  describe(`audit ledger on the ${kind} store`, () => {
    let dir: string;
    let key: KeyFiles;
    let other: KeyFiles;
    let envs: string[];
    let a: StoreAdapter;

    beforeAll(() => {
      a = adapter();
      dir = tempDir(`ledger-${kind}`);
      key = makeKey(join(dir, 'keys'), 'trusted');
      other = makeKey(join(dir, 'keys'), 'untrusted');
      envs = makeEnvelopes(join(dir, 'env'), key, 8);
    });

    /**
     * `kfm audit append --init FILE...` as its command does it (cli/commands/audit/append.ts), through
     * the same library calls in this process: for fixtures, whose appends the tests above and below
     * check through the CLI itself. Returns the seqs the appends answered.
     */
    async function appendHere(spec: string, files: readonly string[]): Promise<number[]> {
      const open = (s: string) => openStore(s, { env: a.env });
      const store = open(spec);
      await requireStore(spec, store, true, open);
      const inputs = files.map((f) => readFileSync(f));
      if (inputs.length > 1) await store.prepareAppend?.(inputs);
      const seqs: number[] = [];
      for (const bytes of inputs) seqs.push((await store.append(bytes)).seq);
      return seqs;
    }

    /**
     * Entries after the log's tail written straight into the store, with the bundle of each range
     * they complete: byte for byte what `kfm audit append` writes (each entry chained onto the one
     * before it; a bundle is its range's entries concatenated), but 32 writes at a time instead of
     * an append's round trips one after another. For fixture logs of hundreds of entries.
     */
    async function writeAppended(spec: string, files: readonly string[]): Promise<void> {
      const open = (s: string) => openStore(s, { env: a.env });
      const store = open(spec);
      await requireStore(spec, store, true, open); // as --init
      const tail = await store.size();
      let prev = tail === 0 ? GENESIS_PREV : entryHash(await a.readRaw(spec, tail));
      const written = files.map((f, i) => {
        const bytes = encodeEntry(tail + i + 1, prev, readFileSync(f));
        prev = entryHash(bytes);
        return bytes;
      });
      for (let i = 0; i < written.length; i += 32)
        await Promise.all(written.slice(i, i + 32).map((b, j) => a.writeRaw(spec, tail + i + j + 1, b)));
      const entry = async (seq: number) => (seq > tail ? written[seq - tail - 1] : await a.readRaw(spec, seq));
      for (let end = tail + 1; end <= tail + written.length; end++) {
        if (end % BUNDLE_SIZE !== 0) continue;
        const first = end - BUNDLE_SIZE + 1;
        const range = await Promise.all(Array.from({ length: BUNDLE_SIZE }, (_, k) => entry(first + k)));
        await a.writeDerived(spec, bundlePath(first), Buffer.concat(range));
      }
    }

    /** A log of `n` fresh envelopes as `kfm audit append --init` leaves it (the bundles of its complete ranges too). */
    async function appendedLog(n: number): Promise<string> {
      const spec = a.newSpec();
      const tag = `log-${Math.random()}`;
      await writeAppended(spec, makeEnvelopes(join(dir, tag), key, n, tag));
      return spec;
    }

    /** A store holding envelopes 1..n, appended as `kfm audit append --init` appends them. */
    async function build(n = 6): Promise<string> {
      const spec = a.newSpec();
      expect(await appendHere(spec, envs.slice(0, n))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      return spec;
    }

    function verify(spec: string, extra: string[] = []) {
      return kfm(['audit', 'verify', '--store', spec, '--pub', key.pub, ...extra], a.env);
    }

    /** Append one file through the CLI; its seq (the append must succeed). */
    function appendOk(spec: string, file: string): number {
      const r = kfm(['audit', 'append', file, '--store', spec], a.env);
      expect([r.code, r.stderr]).toEqual([0, '']);
      return jsonLines(r.stdout)[0].seq;
    }

    /** A directory store's appender refuses to write past an object planted at `seq`: one line naming it, nothing written. */
    function expectRefusedBy(spec: string, file: string, seq: number): void {
      const before = existsSync(join(spec, 'entries')) ? readdirSync(join(spec, 'entries')).sort() : [];
      const r = kfm(['audit', 'append', file, '--store', spec], a.env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const name = join(spec, 'entries', `${String(seq).padStart(12, '0')}.json`);
      expect(r.stderr).toBe(
        `kfm: STORE_INVALID: ${name}: an object that does not chain onto entry ${seq - 1} is where entry ${seq} goes (planted ahead of the log, or damage); nothing appended — run "kfm audit verify": if it lists this object as junk, move it out of entries/ and re-run the same command\n`,
      );
      expect(readdirSync(join(spec, 'entries')).sort()).toEqual(before);
    }

    /** Verify lists the object planted at `seq` as junk (exit 0; 3 under --strict), never as damage. */
    function expectPlantedJunk(spec: string, seq: number): void {
      const v = verify(spec);
      expect(v.stderr).toMatch(
        new RegExp(
          `note: junk: .*${String(seq).padStart(12, '0')}\\.json: entry object that does not chain onto entry ${seq - 1} \\(planted at a seq the log had not reached yet`,
        ),
      );
      expect(v.stderr).not.toMatch(/LOG_INTEGRITY/);
      expect(v.code).toBe(0);
      expect(verify(spec, ['--strict']).code).toBe(3);
    }

    /** What the operator of a directory store does with a planted file: move it out of entries/. */
    async function moveAside(spec: string, seq: number): Promise<void> {
      const name = join(spec, 'entries', `${String(seq).padStart(12, '0')}.json`);
      renameSync(name, `${spec}-planted-${seq}.json`);
    }

    it('appends each file in order and prints its seq and the sha256 of its exact bytes', () => {
      const spec = a.newSpec();
      const r = kfm(['audit', 'append', '--init', envs[0], envs[1], envs[2], '--store', spec], a.env);
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout)).toEqual(
        [0, 1, 2].map((i) => ({ seq: i + 1, digest: sha256Tagged(readFileSync(envs[i])) })),
      );
      const get = kfm(['audit', 'get', '--store', spec, '--seq', '2'], a.env);
      expect(get.code).toBe(0);
      expect(Buffer.from(get.stdout).equals(readFileSync(envs[1]))).toBe(true);
      const list = kfm(['audit', 'list', '--store', spec, '--json'], a.env);
      expect(jsonLines(list.stdout).map((l) => l.seq)).toEqual([1, 2, 3]);
      const ok = verify(spec);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    });

    it('refuses a non-envelope with exit 2 and writes nothing, even after valid files', async () => {
      const spec = a.newSpec();
      const bad = join(dir, 'not-an-envelope.json');
      writeFileSync(bad, JSON.stringify({ hello: 'world' }));
      const r = kfm(['audit', 'append', '--init', envs[0], bad, '--store', spec], a.env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/not-an-envelope\.json/);
      expect(await openStore(spec, { env: a.env }).size()).toBe(0);
    });

    it('yields every entry with its envelope bytes and digest through the library API', async () => {
      const spec = await build(4);
      const seen = [];
      for await (const e of openStore(spec, { env: a.env }).entries()) seen.push(e);
      expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(seen.map((e) => e.digest)).toEqual(envs.slice(0, 4).map((f) => sha256Tagged(readFileSync(f))));
      expect(seen[3].envelopeBytes.equals(readFileSync(envs[3]))).toBe(true);
    });

    it('proves inclusion of an entry against a signed checkpoint, and the current log is consistent with it', async () => {
      const spec = await build(5);
      const cp = join(dir, `cp-${Date.now()}-${Math.random()}.txt`);
      expect(kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--out', cp], a.env).code).toBe(0);
      expect(kfm(['audit', 'append', '--init', envs[5], envs[6], '--store', spec], a.env).code).toBe(0);
      const proof = kfm(['audit', 'prove', '--store', spec, '--seq', '3', '--checkpoint', cp], a.env);
      expect(proof.code).toBe(0);
      const pf = `${cp}.proof.json`;
      writeFileSync(pf, proof.stdout);
      const vp = kfm(
        ['audit', 'verify-proof', '--proof', pf, '--checkpoint', cp, '--pub', key.pub, '--envelope', envs[2]],
        a.env,
      );
      expect(vp.stderr).toBe('');
      expect(vp.code).toBe(0);
      const wrong = kfm(
        ['audit', 'verify-proof', '--proof', pf, '--checkpoint', cp, '--pub', key.pub, '--envelope', envs[3]],
        a.env,
      );
      expect(wrong.code).toBe(3);
      const v = verify(spec, ['--checkpoint', cp]);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
    });

    /**
     * An entry overwritten by someone with write access. On a directory store the bytes read are
     * the new ones: damage, exit 3. On S3 the overwrite is a newer version, which the ledger never
     * reads (it reads the version Object Lock keeps): junk, listed by name, a failure only under
     * --strict (docs/audit-ledger.md, "Junk and damage").
     */
    function expectOverwriteCaught(spec: string, names: RegExp[], extra: string[] = []): void {
      const r = verify(spec, extra);
      for (const n of names) expect(r.stderr).toMatch(n);
      if (kind !== 's3') {
        expect(r.code).toBe(3);
        return;
      }
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/note: junk: /);
      expect(verify(spec, [...extra, '--strict']).code).toBe(3);
    }

    describe('detects tampering and names the entry', () => {
      it('a flipped byte in an entry', async () => {
        const spec = await build();
        const raw = Buffer.from(await a.readRaw(spec, 3));
        raw[raw.length - 20] ^= 0x01; // inside the base64 envelope
        await a.writeRaw(spec, 3, raw);
        expectOverwriteCaught(spec, [/000000000003\.json/]);
      });

      // The log is the contiguous run from entry 1 (ledger/layout.ts): on a directory store a
      // deleted entry ends the log there, and the checkpoint above it names the missing entries;
      // on S3 the delete marker is an attempted delete.
      it('a deleted entry, caught by the checkpoint above it', async () => {
        const spec = await build();
        const cp = join(dir, `cp-del-${Date.now()}-${Math.random()}.txt`);
        expect(kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--out', cp], a.env).code).toBe(0);
        await a.deleteEntry(spec, 2);
        const r = verify(spec);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/000000000002\.json/);
      });

      // Was a hole (issue 24's second review): one PutObject of an entry object past the tail
      // moved the appender's probed tail (1, 3, 7, 15, … then binary search) and broke the log
      // for good; on S3 a bundle name far ahead moved it too (the tail search started there).
      it('an entry object past the end of the log is junk and moves no append, nor does a bundle named far ahead', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 512, encodeEntry(512, GENESIS_PREV, readFileSync(envs[7])));
        await a.writeDerived(spec, bundlePath(257), Buffer.from('{}\n'));
        // Named as far ahead as names go: a reader that counted seqs to them would never end.
        await a.writeRaw(spec, 999999999999, encodeEntry(999999999999, GENESIS_PREV, readFileSync(envs[6])));
        await a.writeDerived(spec, bundlePath(999999999745), Buffer.from('{}\n'));
        const r = kfm(['audit', 'append', envs[3], '--store', spec], a.env);
        expect(r.code).toBe(0);
        expect(jsonLines(r.stdout)[0]).toMatchObject({ seq: 4 });
        const v = verify(spec);
        expect(v.stderr).toMatch(
          /note: junk: .*000000000512\.json: entry object past the end of the log \(entry 5 does not exist/,
        );
        expect(v.stderr).toMatch(/note: junk: .*999999999999\.json: entry object past the end of the log/);
        expect(v.stderr).not.toMatch(/LOG_INTEGRITY/);
        expect(v.code).toBe(0);
        expect(verify(spec, ['--strict']).code).toBe(3);
      });

      // Was a hole (found reviewing the past-the-end fix): an entry object planted at a seq the
      // log had not reached became the entry once the log got there, the next append chained
      // onto it with a broken prev, and verify, every cosign and every gate failed for good.
      // Now the log is the chain from entry 1: on S3 the entry at a seq is its oldest version
      // that chains onto the entry before it (the planted one is passed over, listed as junk);
      // a directory store's appender refuses to write past the planted file, naming it, and
      // verify lists it as junk — moved aside, the log goes on (layout.ts, docs/audit-ledger.md).
      it('an entry object planted ahead of the log jams nothing once the log reaches it', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 5, encodeEntry(5, GENESIS_PREV, readFileSync(envs[7])));
        expect(appendOk(spec, envs[3])).toBe(4);
        if (kind === 's3') expect(appendOk(spec, envs[4])).toBe(5);
        else {
          expectRefusedBy(spec, envs[4], 5);
          expectPlantedJunk(spec, 5);
          await moveAside(spec, 5);
          expect(appendOk(spec, envs[4])).toBe(5);
        }
        const v = verify(spec);
        expect(v.stderr).not.toMatch(/LOG_INTEGRITY/);
        expect(v.code).toBe(0);
        if (kind === 's3')
          expect(v.stderr).toMatch(
            /note: junk: .*000000000005\.json: older version .* does not chain onto entry 4 \(planted before the log reached seq 5\)/,
          );
      });

      it('an append to a store that does not exist is refused (exit 2, naming it, nothing written) unless created', async () => {
        const spec = a.newSpec();
        const r = kfm(['audit', 'append', envs[0], '--store', spec], a.env);
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(
          `kfm: STORE_INVALID: ${spec}: no audit store here (check --store); create it with "kfm audit init --store ${spec}", or pass --init to create it with this append\n`,
        );
        expect(await openStore(spec, { env: a.env }).isStore()).toBe(false);
        // Initialised but empty is a store (S3: the marker), and the marker is neither junk nor an entry.
        expect(kfm(['audit', 'init', '--store', spec], a.env).code).toBe(0);
        expect(kfm(['audit', 'append', envs[0], '--store', spec], a.env).code).toBe(0);
        const v = verify(spec);
        expect(v.stderr).toBe('');
        expect(v.code).toBe(0);
      });

      it('two swapped entries', async () => {
        const spec = await build();
        const [e2, e4] = [await a.readRaw(spec, 2), await a.readRaw(spec, 4)];
        await a.writeRaw(spec, 2, e4);
        await a.writeRaw(spec, 4, e2);
        expectOverwriteCaught(spec, [/000000000002\.json/, /000000000004\.json/]);
      });

      // A replayed entry at tail + 1 was damage (exit 3) before the log was the chain from entry
      // 1; it is an object planted ahead of the log: junk, never a jam.
      it('a forged extra entry (a replayed entry at tail + 1), and a stray object, listed as junk', async () => {
        const spec = await build();
        await a.writeRaw(spec, 7, await a.readRaw(spec, 3)); // replayed entry
        await a.putStray(spec, 'README.txt', Buffer.from('hello'));
        const r = verify(spec);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/note: junk: .*000000000007\.json: entry object that does not chain onto entry 6/);
        expect(r.stderr).toMatch(/note: junk: .*README\.txt: unexpected object/);
        expect(verify(spec, ['--strict']).code).toBe(3);
      });

      it('a forged entry inside the log (not its last object) is still damage on a directory store', async () => {
        const spec = await build();
        await a.writeRaw(spec, 5, await a.readRaw(spec, 3));
        expectOverwriteCaught(spec, [/000000000005\.json/]);
      });

      it('a truncated tail against a saved checkpoint', async () => {
        const spec = await build();
        const cp = join(dir, `cp-trunc-${Date.now()}-${Math.random()}.txt`);
        expect(kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--out', cp], a.env).code).toBe(0);
        // The store an auditor is shown lacks the last two entries (same bytes otherwise).
        const cut = a.newSpec();
        for (let s = 1; s <= 4; s++) await a.writeRaw(cut, s, await a.readRaw(spec, s));
        expect(verify(cut).code).toBe(0); // a shorter log is fine on its own...
        const r = verify(cut, ['--checkpoint', cp]);
        expect(r.code).toBe(3); // ...but not against what was checkpointed
        expect(r.stderr).toMatch(/truncated/);
        expect(r.stderr).toMatch(/000000000005\.json/);
      });

      it('an entry signed by an untrusted key is junk: listed, not a failure but under --strict', async () => {
        const spec = await build(3);
        const [foreign] = makeEnvelopes(join(dir, 'foreign'), other, 1, `foreign-${Math.random()}`);
        expect(kfm(['audit', 'append', '--init', foreign, '--store', spec], a.env).code).toBe(0);
        const r = verify(spec);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/note: junk: .*000000000004\.json: envelope not signed by a trusted key/);
        const strict = verify(spec, ['--strict']);
        expect(strict.code).toBe(3);
        expect(strict.stderr).toMatch(/LOG_JUNK: .*000000000004\.json: envelope not signed by a trusted key/);
        expect(verify(spec, ['--pub', other.pub, '--strict'])).toMatchObject({ code: 0, stderr: '' });
      });

      it('an altered checkpoint', async () => {
        const spec = await build(4);
        const cp = join(dir, `cp-alt-${Date.now()}-${Math.random()}.txt`);
        expect(kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--out', cp], a.env).code).toBe(0);
        const altered = `${cp}.altered`;
        writeFileSync(altered, readFileSync(cp, 'utf8').replace(/^(.*\n)4\n/, '$13\n'));
        const r = verify(spec, ['--checkpoint', altered]);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/\.altered: no signature verifies/);
      });
    });

    /** A store whose entries 1..n-1 were written directly (fast), then entry n through the CLI. */
    async function bulk(n: number, before?: (spec: string, raw: Buffer[]) => Promise<void>): Promise<string> {
      const spec = a.newSpec();
      const many = makeEnvelopes(join(dir, `bulk-${Math.random()}`), key, n, `bulk-${Math.random()}`);
      let prev = GENESIS_PREV;
      const raw: Buffer[] = [];
      for (let s = 1; s < n; s++) {
        const bytes = encodeEntry(s, prev, readFileSync(many[s - 1]));
        raw.push(bytes);
        prev = entryHash(bytes);
      }
      for (let i = 0; i < raw.length; i += 32)
        await Promise.all(raw.slice(i, i + 32).map((b, j) => a.writeRaw(spec, i + j + 1, b)));
      if (before) await before(spec, raw);
      const r = kfm(['audit', 'append', '--init', many[n - 1], '--store', spec], a.env);
      expect([r.code, r.stderr]).toEqual([0, '']);
      return spec;
    }

    describe('bundles of 256 entries (derived data, checked against the entries)', () => {
      it('the append that completes a range writes its bundle, and verify checks it', async () => {
        const spec = await bulk(256);
        expect(kfm(['audit', 'append', '--init', envs[0], '--store', spec], a.env).code).toBe(0);
        const store = openStore(spec, { env: a.env });
        const b = await store.getDerived(bundlePath(1));
        const lines = b!.toString('utf8').split('\n');
        expect(lines).toHaveLength(257);
        expect(Buffer.from(`${lines[255]}\n`).equals(await a.readRaw(spec, 256))).toBe(true);
        expect(await store.getDerived(bundlePath(257))).toBeUndefined();
        const v = verify(spec);
        expect([v.code, v.stderr]).toEqual([0, '']);
      });

      it('a modified bundle written before the real one is junk for good: listed, never a jam, even once a checkpoint covers it', async () => {
        const spec = await bulk(256, async (s, raw) => {
          // The forger does not know entry 256 yet: it repeats entry 255 in its place.
          await a.writeDerived(s, bundlePath(1), Buffer.concat([...raw, raw[254]]));
        });
        const r = verify(spec);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/note: junk: .*bundles\/000000000001\.jsonl: bundle differs from entry 256/);
        expect(verify(spec, ['--strict']).code).toBe(3);
        const cp = join(dir, `cp-junk-bundle-${Math.random()}.txt`);
        const made = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp],
          a.env,
        );
        expect(made.code).toBe(0);
        const again = verify(spec, ['--checkpoint', cp]);
        expect(again.code).toBe(0);
        expect(again.stderr).toMatch(/note: junk: .*bundle differs from entry 256/);
      });

      it('a bundle altered after a checkpoint covered its range is damage (exit 3) on a directory; on S3 a newer version, never read, is junk', async () => {
        const spec = await appendedLog(256);
        const cp = join(dir, `cp-alt-bundle-${Math.random()}.txt`);
        expect(kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--out', cp], a.env).code).toBe(0);
        const b = Buffer.from((await openStore(spec, { env: a.env }).getDerived(bundlePath(1)))!);
        b[100] ^= 0x01;
        await new Promise((res) => setTimeout(res, 20));
        await a.writeDerived(spec, bundlePath(1), b);
        const r = verify(spec);
        if (kind === 's3') {
          expect(r.code).toBe(0);
          expect(r.stderr).toMatch(/note: junk: .*bundles\/000000000001\.jsonl: newer version .* differs/);
        } else {
          expect(r.code).toBe(3);
          expect(r.stderr).toMatch(
            /LOG_INTEGRITY: .*bundles\/000000000001\.jsonl: bundle differs from entry 1 .*altered after/,
          );
        }
      });

      it('a bundle for a range that is not complete is junk: listed, never a jam', async () => {
        const spec = await build(3);
        const lines = [await a.readRaw(spec, 1), await a.readRaw(spec, 2), await a.readRaw(spec, 3)];
        await a.writeDerived(spec, bundlePath(1), Buffer.concat(lines));
        const r = verify(spec);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(
          /note: junk: .*bundles\/000000000001\.jsonl: bundle of entries 1–256, but only 3 of them are in the log/,
        );
        expect(verify(spec, ['--strict']).code).toBe(3);
      });

      it('a missing bundle is named; readers still see every entry', async () => {
        const spec = await appendedLog(256);
        await a.deleteDerived(spec, bundlePath(1));
        const r = verify(spec);
        expect(r.stderr).toMatch(/bundles\/000000000001\.jsonl: (bundle of entries 1–256 is missing|1 delete marker)/);
        const seen = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) seen.push(e.seq);
        expect(seen).toHaveLength(256);
      });
    });

    describe('an envelope already in the log is never appended again', () => {
      it('returns the existing entry with "existing": true and writes nothing', async () => {
        const spec = await build(3);
        const r = kfm(['audit', 'append', '--init', envs[1], envs[3], envs[3], '--store', spec], a.env);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const d = (i: number) => sha256Tagged(readFileSync(envs[i]));
        expect(
          r.stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l)),
        ).toEqual([
          { seq: 2, digest: d(1), existing: true },
          { seq: 4, digest: d(3) },
          { seq: 4, digest: d(3), existing: true },
        ]);
        expect(await openStore(spec, { env: a.env }).size()).toBe(4);
      });

      it('a duplicate that raced in anyway is a note in verify, not a failure', async () => {
        const spec = await build(2);
        const prev = entryHash(await a.readRaw(spec, 2));
        await a.writeRaw(spec, 3, encodeEntry(3, prev, readFileSync(envs[0])));
        const r = verify(spec);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/note: .*000000000003\.json: envelope already appended as entry 1/);
      });
    });

    describe('the index and reads by proof', () => {
      const C = 'c'.repeat(40);
      const D = 'd'.repeat(40);
      /** Signed records naming a commit, as receipts do (predicate.repo.commit). */
      function records(specs: { commit: string; kind: string }[]): string[] {
        const d = join(dir, `rec-${Math.random()}`);
        require('node:fs').mkdirSync(d, { recursive: true });
        return specs.map((r, i) => {
          const st = {
            _type: 'https://in-toto.io/Statement/v1',
            subject: [{ name: `${r.kind}-${i}`, digest: { sha256: '0'.repeat(64) } }],
            predicateType: 'https://kfm.example/ledger-test/v1',
            predicate: { kind: r.kind, nonce: Math.random(), repo: { commit: r.commit } },
          };
          const p = join(d, `${i}.json`);
          writeFile(
            p,
            serializeEnvelope(
              signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), key.signing),
            ),
          );
          return p;
        });
      }
      const trusted = () => [parseTrustedKey(readFileSync(key.pub), key.pub)];
      /** plan C, apply C, other D, failed apply C. */
      const FOUR = [
        { commit: C, kind: 'plan' },
        { commit: C, kind: 'apply-ok' },
        { commit: D, kind: 'other' },
        { commit: C, kind: 'apply-failed' },
      ];
      /** FOUR; checkpoint; then a drift report for C after it. */
      async function history(): Promise<{ spec: string; cp: string; files: string[] }> {
        const spec = a.newSpec();
        const files = records([...FOUR, { commit: C, kind: 'drifted' }]);
        expect(await appendHere(spec, files.slice(0, 4))).toEqual([1, 2, 3, 4]);
        const cp = join(dir, `cp-ix-${Math.random()}.txt`);
        const made = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp],
          a.env,
        );
        expect([made.code, made.stderr]).toEqual([0, '']);
        expect(JSON.parse(made.stdout).index).toMatch(/index\/000000000004\.[0-9a-f]{8}\.json$/);
        expect(await appendHere(spec, [files[4]])).toEqual([5]);
        return { spec, cp, files };
      }
      const gateRead = async (spec: string, cpFile: string) => {
        const text = readFileSync(cpFile, 'utf8');
        const store = openStore(spec, { env: a.env });
        return readForGate(store, C, {
          trusted: trusted(),
          origin: 'kfm-infra/audit',
          checkpoints: [{ source: cpFile, text }],
        });
      };
      it('gates, by proof and on the full read, judge the genuine records and name an object planted ahead of the log', async () => {
        const { spec, cp, files } = await history();
        // A byte-exact copy of the genuine "apply ok" record, planted where entry 6 will go.
        await a.writeRaw(spec, 6, encodeEntry(6, GENESIS_PREV, readFileSync(files[1])));
        const byProof = await gateRead(spec, cp);
        expect([byProof.via, byProof.ok]).toEqual(['proof', true]);
        expect(byProof.entries.map((e) => e.seq)).toEqual([1, 2, 4, 5]);
        expect(byProof.junk?.join('\n')).toMatch(/000000000006\.json: entry object that does not chain onto entry 5/);
        const full = await readForGate(openStore(spec, { env: a.env }), C, {
          trusted: trusted(),
          origin: 'kfm-infra/audit',
          checkpoints: [],
        });
        expect([full.via, full.ok]).toEqual(['full', true]);
        expect(full.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(full.junk?.join('\n')).toMatch(/000000000006\.json: entry object that does not chain onto entry 5/);
      });

      // A shard altered after its checkpoint wrote it (fs: overwritten; S3: a new version), left as
      // it was by the entries after: the next checkpoint reads it back, and what it cannot read
      // through the base (no copy: the damage came after the base was written) is no reason to
      // refuse. The gate on the new checkpoint judges the same records: by proof on S3 (the first
      // version is the shard), on the whole log where the bytes are gone (fs).
      it('a shard altered after its checkpoint stops neither the next checkpoint nor the gate on it', async () => {
        const spec = a.newSpec();
        const files = records(FOUR);
        expect(await appendHere(spec, files)).toEqual([1, 2, 3, 4]);
        const cp1 = join(dir, `cp-alt1-${Math.random()}.txt`);
        const checkpoint = (out: string, ...extra: string[]) =>
          kfm(
            ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', out, ...extra],
            a.env,
          );
        expect(checkpoint(cp1).code).toBe(0);
        const store = openStore(spec, { env: a.env });
        const [notePath] = (await store.listDerived(INDEX_DIR)).filter((n) => indexPathSize(n) === 4);
        const { body } = parseIndex((await store.getDerived(notePath!))!, notePath!);
        await a.writeDerived(spec, shardPath(body.shards[shardOfCommit(C)]!), Buffer.from('{}'));
        // One more record, for D, whose shards are not C's.
        let next: string;
        do [next] = records([{ commit: D, kind: 'other-later' }]);
        while (shardOfDigest(sha256Tagged(readFileSync(next))) === shardOfCommit(C));
        expect(shardOfCommit(D)).not.toBe(shardOfCommit(C));
        expect(await appendHere(spec, [next])).toEqual([5]);
        const cp2 = join(dir, `cp-alt2-${Math.random()}.txt`);
        const made = checkpoint(cp2, '--since', cp1);
        expect([made.code, made.stderr]).toEqual([0, '']);
        const r = await gateRead(spec, cp2);
        expect([r.ok, r.via, r.entries.filter((e) => e.seq <= 4).map((e) => e.seq)]).toEqual([
          true,
          kind === 's3' ? 'proof' : 'full',
          kind === 's3' ? [1, 2, 4] : [1, 2, 3, 4],
        ]);
      });

      // The same rule as verify (entry-check.ts LostRaces): a newer version chained onto the entry
      // before it is never evidence, and when no trusted key signed its envelope it is named among
      // what the gate ignored, by proof (after the anchor) and on the full read.
      (kind === 's3' ? it : it.skip)(
        'gates, by proof and on the full read, never take a chained newer version and name an untrusted one as junk',
        async () => {
          const { spec, cp, files } = await history();
          const e4 = await a.readRaw(spec, 4);
          const [untrusted] = makeEnvelopes(
            join(dir, `chained-${Math.random()}`),
            other,
            1,
            `chained-${Math.random()}`,
          );
          await a.writeRaw(spec, 5, encodeEntry(5, entryHash(e4), readFileSync(untrusted)));
          const full = () =>
            readForGate(openStore(spec, { env: a.env }), C, {
              trusted: trusted(),
              origin: 'kfm-infra/audit',
              checkpoints: [],
            });
          const junk = /000000000005\.json: newer version \S+ chains onto entry 4 but is no append to re-run/;
          for (const r of [await gateRead(spec, cp), await full()]) {
            expect([r.ok, r.entries.map((e) => e.seq)]).toEqual([
              true,
              r.via === 'proof' ? [1, 2, 4, 5] : [1, 2, 3, 4, 5],
            ]);
            expect(r.entries.find((e) => e.seq === 5)!.envelopeBytes.equals(readFileSync(files[4]))).toBe(true);
            expect(r.junk?.join('\n')).toMatch(junk);
          }
          expect((await gateRead(spec, cp)).via).toBe('proof');
          // A trusted envelope chained the same way is a leftover to re-run (a verify note), never evidence either.
          const [trustedCopy] = records([{ commit: C, kind: 'apply-ok-lost' }]);
          const other5 = await history();
          await a.writeRaw(
            other5.spec,
            5,
            encodeEntry(5, entryHash(await a.readRaw(other5.spec, 4)), readFileSync(trustedCopy)),
          );
          const byProof = await gateRead(other5.spec, other5.cp);
          expect([byProof.via, byProof.ok, byProof.junk]).toEqual(['proof', true, []]);
          expect(byProof.entries.some((e) => e.envelopeBytes.equals(readFileSync(trustedCopy)))).toBe(false);
          const v = verify(other5.spec);
          expect([v.code, v.stderr]).toEqual([
            0,
            expect.stringMatching(/000000000005\.json: newer version .*re-run the same "kfm audit append"/),
          ]);
        },
      );

      /** Write an index for the first 4 entries, changed by `edit`, signed with `signer`. */
      async function forgeIndex(spec: string, signer: KeyFiles, edit: (shard: Record<string, any>) => void) {
        const store = openStore(spec, { env: a.env });
        const b = new IndexBuilder();
        for await (const e of store.entries()) if (e.seq <= 4) b.push(e);
        const { body, shardFiles } = b.finish('kfm-infra/audit');
        const shards: Record<string, string> = { ...body.shards };
        for (const [path, bytes] of shardFiles) {
          const obj = JSON.parse(bytes.toString('utf8'));
          if (obj.commits[C]) {
            edit(obj);
            const out = Buffer.from(require('../../core/canonical-json').canonicalJson(obj) + '\n');
            const digest = sha256Tagged(out);
            for (const k of Object.keys(shards)) if (shards[k] === `sha256:${path.slice(13, -5)}`) shards[k] = digest;
            await store.putDerived(`index/shards/${digest.slice(7)}.json`, out);
          } else await store.putDerived(path, bytes);
        }
        const name = indexPath(4, noteKeyHash('kfm-infra/audit', signer.signing.publicKey).toString('hex'));
        await store.putDerived(name, signIndex({ ...body, shards }, signer.signing));
        return name;
      }

      /** Add an index at `size` signed by `signer`, rebuilt in `version`, each shard changed by `edit`. */
      async function forgeIndexAt(
        spec: string,
        size: number,
        signer: KeyFiles,
        edit: (shard: Record<string, any>) => void,
        version?: 1 | 2,
      ) {
        const store = openStore(spec, { env: a.env });
        const b = new IndexBuilder();
        for await (const e of store.entries()) if (e.seq <= size) b.push(e);
        const { body, shardFiles } = b.finish('kfm-infra/audit', {}, version);
        const shards: Record<string, string> = {};
        for (const [name, digest] of Object.entries(body.shards)) {
          const obj = JSON.parse(shardFiles.get(`index/shards/${digest.slice(7)}.json`)!.toString('utf8'));
          edit(obj);
          const out = Buffer.from(require('../../core/canonical-json').canonicalJson(obj) + '\n');
          shards[name] = sha256Tagged(out);
          await store.putDerived(`index/shards/${shards[name].slice(7)}.json`, out);
        }
        // A name of its own that lists first (on S3 a rewrite of an existing name is a new version,
        // which readers ignore): the gate reads it before the checkpoint's, verify checks both.
        await a.writeDerived(spec, indexPath(size, '00000000'), signIndex({ ...body, shards }, signer.signing));
      }

      it('a gate reads the commit by proof: its entries, each proven, and everything after the checkpoint', async () => {
        const { spec, cp } = await history();
        const r = await gateRead(spec, cp);
        expect(r.via).toBe('proof');
        expect(r.entries.map((e) => e.seq)).toEqual([1, 2, 4, 5]);
        expect(r.size).toBe(5);
        const v = verify(spec);
        expect([v.code, v.stderr]).toEqual([0, '']);
      });

      it("verify --since checks only what came after, and catches a rewrite of the checkpoint's last entry", async () => {
        const { spec, cp } = await history();
        const ok = verify(spec, ['--since', cp]);
        expect([ok.code, ok.stderr]).toEqual([0, '']);
        expect(ok.stdout).toMatch(/^ok: 5 entries/);
        // A directory store: entry 4, the checkpoint's last (damage: entry 5 chains onto it). S3:
        // entry 5, after it (a newer version, never read: junk; --since lists entries from 5 on).
        const at = kind === 's3' ? 5 : 4;
        const raw = Buffer.from(await a.readRaw(spec, at));
        raw[raw.length - 20] ^= 0x01;
        await a.writeRaw(spec, at, raw);
        expectOverwriteCaught(spec, [new RegExp(`00000000000${at}\\.json`)], ['--since', cp]);
      });

      it('an index that omits an entry is caught by verify; forged under another key, the gate ignores it', async () => {
        const { spec, cp } = await history();
        const forged = await forgeIndex(spec, other, (s) => {
          s.commits[C] = s.commits[C].filter((x: number) => x !== 4); // hide the failed apply
        });
        const r = await gateRead(spec, cp);
        expect(r.entries.map((e) => e.seq)).toEqual(expect.arrayContaining([4]));
        const v = verify(spec);
        // The note no trusted key signed is junk: listed, never used; the checkpoint's own is compared.
        expect(v.code).toBe(0);
        expect(v.stderr).toContain(`${forged.replace(/.*\//, '')}: index note not signed by a trusted key`);
        // Signed by a key verify trusts, the same note is damage.
        const v2 = verify(spec, ['--pub', other.pub]);
        expect(v2.code).toBe(3);
        expect(v2.stderr).toMatch(/shard [0-9a-f]{2} omits entry 4 for commit c{40}/);
      });

      it('verify compares every signed index, not only the newest; junk in index/ named to sort last switches nothing off', async () => {
        const { spec } = await history();
        const cp5 = join(dir, `cp-ix5-${Math.random()}.txt`);
        expect(kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--out', cp5], a.env).code).toBe(0);
        // The older index (4), re-signed by the log's key with the failed apply hidden...
        await forgeIndexAt(spec, 4, key, (sh) => {
          if (sh.commits?.[C]) sh.commits[C] = sh.commits[C].filter((x: number) => x !== 4);
        });
        // ...and junk named to sort after every index note.
        await a.writeDerived(spec, indexPath(999999999999, 'ffffffff'), Buffer.from('{"junk":true}\n'));
        await a.writeDerived(spec, 'index/zzz-not-a-note', Buffer.from('junk'));
        const v = verify(spec);
        expect(v.code).toBe(3);
        expect(v.stderr).toMatch(
          /LOG_INTEGRITY: .*000000000004\.00000000\.json: shard [0-9a-f]+ omits entry 4 for commit c{40}/,
        );
        expect(v.stderr).toMatch(/note: junk: .*999999999999\.ffffffff\.json/);
        expect(v.stderr).toMatch(/note: junk: .*zzz-not-a-note: not an index note/);
        // Junk alone (no signed note damaged) is listed and never fails but under --strict.
        const clean = (await history()).spec;
        await a.writeDerived(clean, indexPath(999999999999, 'ffffffff'), Buffer.from('{"junk":true}\n'));
        const ok = verify(clean);
        expect(ok.code).toBe(0);
        expect(ok.stderr).toMatch(/note: junk: .*999999999999\.ffffffff\.json/);
        expect(verify(clean, ['--strict']).code).toBe(3);
      });

      it('an approval appended before its approver key was committed verifies once the key is given, with a note', async () => {
        const spec = await build(3);
        const approver = makeKey(join(dir, 'keys'), `late-approver-${Math.random()}`);
        const [approval] = makeEnvelopes(join(dir, `late-${Math.random()}`), approver, 1, `late-${Math.random()}`);
        expect(kfm(['audit', 'append', '--init', approval, '--store', spec], a.env).code).toBe(0);
        const before = verify(spec, ['--strict']);
        expect(before.code).toBe(3);
        expect(before.stderr).toMatch(/000000000004\.json: envelope not signed by a trusted key/);
        const after = verify(spec, ['--strict', '--approver', `alice=${approver.pub}`]);
        expect(after.code).toBe(0);
        expect(after.stderr).toMatch(
          /note: 1 envelope\(s\) verify under approver alice's key \(--approver\), not under --pub: .*000000000004\.json; approvals count once their key is given/,
        );
        expect(after.stderr).not.toMatch(/junk/);
      });

      it("an index signed by another trusted key (an approver's, say) is not the checkpoint's: the gate does not use it", async () => {
        const { spec, cp } = await history();
        // A trusted key whose note sorts before the checkpoint signer's, so it would be read first.
        const keyHash = (k: KeyFiles) => noteKeyHash('kfm-infra/audit', k.signing.publicKey).toString('hex');
        let approver = makeKey(join(dir, 'keys'), `approver-${Math.random()}`);
        for (let i = 0; i < 200 && keyHash(approver) > keyHash(key); i++)
          approver = makeKey(join(dir, 'keys'), `approver-${Math.random()}`);
        await forgeIndex(spec, approver, (s) => {
          s.commits[C] = s.commits[C].filter((x: number) => x !== 4); // hide the failed apply
        });
        const text = readFileSync(cp, 'utf8');
        const r = await readForGate(openStore(spec, { env: a.env }), C, {
          trusted: [...trusted(), parseTrustedKey(readFileSync(approver.pub), approver.pub)],
          origin: 'kfm-infra/audit',
          checkpoints: [{ source: cp, text }],
        });
        expect(r.via).toBe('proof');
        expect(r.entries.map((e) => e.seq)).toEqual([1, 2, 4, 5]);
      });

      it("under a quorum, a witnessed tree re-signed with an approver's key anchors nothing: its index cannot hide a failed apply", async () => {
        const { spec, cp } = await history();
        const store = openStore(spec, { env: a.env });
        const note = readFileSync(cp, 'utf8');
        const tree = parseCheckpoint(note, cp);
        const w = ev.keyPair('w1');
        const line = cosign(tree.text, 'w1', w.signing, 1_764_000_000);
        await store.putCheckpoint(4, '00000000', Buffer.from(addSignatureLines(note, [line])));
        // The cosignature covers only the note text, so it stays valid under another signer's line.
        const approver = makeKey(join(dir, 'keys'), `approver-${Math.random()}`);
        const resigned = signCheckpoint({ origin: 'kfm-infra/audit', size: 4, root: tree.root }, approver.signing);
        await store.putCheckpoint(4, 'ffffffff', Buffer.from(addSignatureLines(resigned, [line])));
        await forgeIndex(spec, approver, (s) => {
          s.commits[C] = s.commits[C].filter((x: number) => x !== 4); // hide the failed apply
        });
        const r = await readForGate(openStore(spec, { env: a.env }), C, {
          trusted: [...trusted(), parseTrustedKey(readFileSync(approver.pub), approver.pub)],
          checkpointSigners: trusted(),
          origin: 'kfm-infra/audit',
          checkpoints: [],
          witnesses: [{ name: 'w1', key: parseTrustedKey(Buffer.from(w.publicPem), 'w1.pub') }],
          quorum: 1,
        });
        // Never under the approver's note and index: they are junk (not the checkpoint signers'), so
        // the read is by proof under the CI's own witnessed note and index, or the whole log; the
        // failed apply is in it either way.
        expect(r.proof?.index ?? '').not.toMatch(/ffffffff/);
        expect(r.entries.map((e) => e.seq)).toContain(4);
      });

      it("a gate by proof reads the records bound to the commit's entries, whatever commit made them", async () => {
        const spec = a.newSpec();
        const [plan] = records([{ commit: C, kind: 'plan' }]);
        const planDigest = sha256Tagged(readFileSync(plan));
        // A drift report made later, at commit D, about the apply of C: it names it as a subject.
        const d = join(dir, `bound-${Math.random()}.json`);
        const st = {
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: 'apply-receipt', digest: { sha256: planDigest.slice(7) } }],
          predicateType: 'https://kfm.example/ledger-test/v1',
          predicate: { kind: 'drifted', repo: { commit: D } },
        };
        writeFile(
          d,
          serializeEnvelope(signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), key.signing)),
        );
        const [unrelated] = records([{ commit: D, kind: 'other' }]);
        expect(kfm(['audit', 'append', '--init', plan, d, unrelated, '--store', spec], a.env).code).toBe(0);
        const cp = join(dir, `cp-bound-${Math.random()}.txt`);
        const made = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp],
          a.env,
        );
        expect([made.code, made.stderr]).toEqual([0, '']);
        const r = await gateRead(spec, cp);
        expect([r.via, r.entries.map((e) => e.seq)]).toEqual(['proof', [1, 2]]);
        // An index that leaves the bound record out is caught by verify, which names the subject.
        await forgeIndexAt(spec, 3, key, (shard) => {
          if (shard.subjects?.[planDigest.slice(7)]) delete shard.subjects[planDigest.slice(7)];
        });
        const v = verify(spec);
        expect(v.code).toBe(3);
        expect(v.stderr).toContain(`omits entry 2 for subject ${planDigest}`);
      });

      it('a format 1 index (written before subjects were indexed) still verifies; the gate reads the whole log', async () => {
        const { spec, cp } = await history();
        await forgeIndexAt(spec, 4, key, () => undefined, 1);
        const v = verify(spec);
        expect([v.code, v.stderr]).toEqual([0, '']);
        const r = await gateRead(spec, cp);
        expect(r.via).toBe('full');
        expect(r.problems[0]).toMatch(/format 1 index/);
        expect(r.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        // The next checkpoint, even resumed from that one, indexes from entry 1 in format 2.
        const next = join(dir, `cp-v2-${Math.random()}.txt`);
        const made = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--since', cp, '--out', next],
          a.env,
        );
        expect([made.code, made.stderr]).toEqual([0, '']);
        const again = await gateRead(spec, next);
        expect([again.via, again.entries.map((e) => e.seq)]).toEqual(['proof', [1, 2, 4, 5]]);
      });

      it('an overwrite after the anchor sends the gate to the whole log, which names it; on S3 the newer version is never read', async () => {
        const { spec, cp, files } = await history();
        await a.writeRaw(spec, 5, Buffer.from('{"not":"an entry"}\n'));
        const r = await gateRead(spec, cp);
        if (kind === 's3') {
          // Object Lock keeps the entry (the oldest version); the newer one is junk, not a jam.
          expect([r.via, r.ok]).toEqual(['proof', true]);
          expect(r.entries.map((e) => e.seq)).toContain(5);
          const v = verify(spec);
          expect(v.code).toBe(0);
          expect(v.stderr).toMatch(/note: junk: .*000000000005\.json: newer version .* is not an entry for seq 5/);
        } else {
          // The log's last object, not covered by a checkpoint, replaced: the log ends before it,
          // as it would had it been deleted (what a directory store's writer can always do; every
          // checkpoint and witness covering it catches both). Listed as junk, named by the gate.
          expect([r.via, r.ok]).toEqual(['proof', true]);
          expect(r.entries.map((e) => e.seq)).not.toContain(5);
          expect(r.junk?.join('\n')).toMatch(/000000000005\.json: entry object that does not chain onto entry 4/);
          // Inside the log (entries after it), an overwrite is damage: the gate reads the whole log.
          expect(kfm(['audit', 'append', envs[0], '--store', spec], a.env).code).toBe(2);
          const e4 = await a.readRaw(spec, 4);
          const real5 = encodeEntry(5, entryHash(e4), readFileSync(files[4]));
          await a.writeRaw(spec, 5, real5);
          expect(kfm(['audit', 'append', envs[0], '--store', spec], a.env).code).toBe(0);
          await a.writeRaw(spec, 5, Buffer.from('{"not":"an entry"}\n'));
          const inside = await gateRead(spec, cp);
          expect([inside.via, inside.ok]).toEqual(['full', false]);
          expect(inside.problems.join('\n')).toMatch(/000000000005\.json/);
        }
      });

      it('a stored checkpoint above the anchor that the log does not hold sends the gate to the whole log', async () => {
        const { spec, cp } = await history();
        const store = openStore(spec, { env: a.env });
        // Signed by the log's key, for 5 entries, over another tree: the log was rewritten after it.
        const forked = signCheckpoint({ origin: 'kfm-infra/audit', size: 5, root: Buffer.alloc(32, 7) }, key.signing);
        await store.putCheckpoint(5, 'ffffffff', Buffer.from(forked));
        const r = await gateRead(spec, cp);
        expect([r.via, r.ok]).toEqual(['full', false]);
        expect(r.problems[0]).toMatch(/000000000005\.ffffffff\.txt: not consistent with the log/);
        // One larger than the log (its newest entries deleted): the same.
        const ahead = signCheckpoint({ origin: 'kfm-infra/audit', size: 9, root: Buffer.alloc(32, 9) }, key.signing);
        const spec2 = await history();
        await openStore(spec2.spec, { env: a.env }).putCheckpoint(9, 'ffffffff', Buffer.from(ahead));
        const r2 = await gateRead(spec2.spec, spec2.cp);
        expect([r2.via, r2.ok]).toEqual(['full', false]);
        expect(r2.problems[0]).toMatch(/checkpoint of 9 entries, the log holds 5/);
      });

      it('a checkpoint --since a trusted one verifies and indexes only what came after, to the same index', async () => {
        const spec = a.newSpec();
        const commits = ['1', '2', '3', '4'].map((c) => c.repeat(40));
        const specs = (n: number, off: number) =>
          Array.from({ length: n }, (_, i) => ({ commit: commits[(i + off) % 4], kind: `k${i + off}` }));
        await writeAppended(spec, records(specs(260, 0)));
        const mk = (extra: string[] = []) => {
          const out = join(dir, `cp-resume-${Math.random()}.txt`);
          const r = kfm(
            ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', out, ...extra],
            a.env,
          );
          return { out, r, json: r.code === 0 ? JSON.parse(r.stdout) : undefined };
        };
        const first = mk();
        expect([first.r.code, first.r.stderr]).toEqual([0, '']);
        // 260 more: the first checkpoint's incomplete range (257–260) completes, and one more does.
        await writeAppended(spec, records(specs(260, 260)));
        const resumed = mk(['--since', first.out]);
        expect([resumed.r.code, resumed.r.stderr]).toEqual([0, '']);
        expect(resumed.json.size).toBe(520);
        // Byte for byte the index a build from entry 1 gives.
        const store = openStore(spec, { env: a.env });
        const b = new IndexBuilder();
        for await (const e of store.entries()) b.push(e);
        expect(b.root.toString('base64')).toBe(resumed.json.root);
        const { body, shardFiles } = b.finish('kfm-infra/audit');
        const note = await store.getDerived(resumed.json.index.slice(resumed.json.index.indexOf('index/')));
        const { sig, ...stored } = JSON.parse(note!.toString('utf8'));
        expect(typeof sig).toBe('string');
        expect(stored).toEqual(body);
        for (const [path, bytes] of shardFiles) expect((await store.getDerived(path))?.equals(bytes)).toBe(true);
        const v = verify(spec);
        expect([v.code, v.stderr]).toEqual([0, '']);
        // The gate reads by proof against it.
        const text = readFileSync(resumed.out, 'utf8');
        const r = await readForGate(store, commits[1], {
          trusted: trusted(),
          origin: 'kfm-infra/audit',
          checkpoints: [{ source: resumed.out, text }],
        });
        expect([r.via, r.problems]).toEqual(['proof', []]);
        expect(r.entries.map((e) => e.seq)).toEqual(Array.from({ length: 130 }, (_, i) => 4 * i + 2));
      });

      it('a checkpoint --since one signed by another --pub key does not continue its index: the whole log is verified', async () => {
        const { spec } = await history();
        const approver = makeKey(join(dir, 'keys'), `approver-${Math.random()}`);
        const base = join(dir, `cp-approver-${Math.random()}.txt`);
        const byApprover = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', approver.key, '--pub', key.pub, '--out', base],
          a.env,
        );
        expect([byApprover.code, byApprover.stderr]).toEqual([0, '']);
        const next = (out: string) =>
          kfm(
            ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--pub', approver.pub].concat([
              '--since',
              base,
              '--out',
              out,
            ]),
            a.env,
          );
        const note = /signed by .*, not by --key, so its index is not continued; verifying the whole log against it/;
        const ok = next(join(dir, `cp-next-${Math.random()}.txt`));
        expect(ok.code).toBe(0);
        expect(ok.stderr).toMatch(note);
        // An index that key signed for its checkpoint, hiding the failed apply (seq 4): continued,
        // it would carry the omission into the next checkpoint's index. Verified whole, it is caught.
        await forgeIndexAt(spec, 5, approver, (shard) => {
          if (shard.commits[C]) shard.commits[C] = shard.commits[C].filter((x: number) => x !== 4);
        });
        const out = join(dir, `cp-next-${Math.random()}.txt`);
        const r = next(out);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(note);
        expect(r.stderr).toMatch(/index\/000000000005\.00000000\.json: shard [0-9a-f]+ omits entry 4 for commit c+ /);
        expect(existsSync(out)).toBe(false);
      });

      it("a checkpoint --since never signs over an entry rewritten inside the trusted checkpoint's last range", async () => {
        const spec = a.newSpec();
        expect(kfm(['audit', 'append', '--init', ...envs.slice(0, 5), '--store', spec], a.env).code).toBe(0);
        const cp = join(dir, `cp-rw-${Math.random()}.txt`);
        const made = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp],
          a.env,
        );
        expect(made.code).toBe(0);
        expect(kfm(['audit', 'append', '--init', envs[5], '--store', spec], a.env).code).toBe(0);
        // Entry 3 replaced by a well-formed entry of another envelope; the checkpoint's last
        // entry (5), which a resumed verify proves, is untouched.
        await a.writeRaw(spec, 3, encodeEntry(3, entryHash(await a.readRaw(spec, 2)), readFileSync(envs[7])));
        const out = join(dir, `cp-rw2-${Math.random()}.txt`);
        const r = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', out, '--since', cp],
          a.env,
        );
        if (kind === 's3') {
          // The oldest version is the entry, and it is untouched: the log the checkpoint signs is
          // the real one. The newer version chains onto entry 2 as a lost race would: the leftover
          // of an interrupted append, a note naming the append to re-run (never read).
          expect([r.code, r.stderr]).toEqual([0, '']);
          const v = verify(spec);
          expect(v.code).toBe(0);
          expect(v.stderr).toMatch(/000000000003\.json: newer version .*leftover of an interrupted append.*re-run/);
        } else {
          expect(r.code).toBe(3);
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(r.stderr).toMatch(/000000000003\.json: entry 3 is not the entry the checkpoint at 5 holds/);
        }
      });

      it('an index naming a wrong seq sends the gate to the whole log, and verify names it', async () => {
        const spec = a.newSpec();
        const files = records(FOUR);
        expect(kfm(['audit', 'append', '--init', ...files, '--store', spec], a.env).code).toBe(0);
        // A checkpoint and an index signed by the trusted key, but the index is wrong (say, a bug).
        await forgeIndex(spec, key, (s) => {
          s.commits[C] = [1, 2, 3];
        });
        const store = openStore(spec, { env: a.env });
        const b = new IndexBuilder();
        for await (const e of store.entries()) b.push(e);
        const cp = join(dir, `cp-wrong-${Math.random()}.txt`);
        writeFile(cp, signCheckpoint({ origin: 'kfm-infra/audit', size: 4, root: b.root }, key.signing));
        const r = await gateRead(spec, cp);
        expect(r.via).toBe('full');
        expect(r.problems[0]).toMatch(/names entry 3 for commit c{40}, which that entry does not claim/);
        expect(r.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        const v = verify(spec);
        expect(v.code).toBe(3);
        expect(v.stderr).toMatch(/shard [0-9a-f]{2} (names entry 3 for commit c{40}|omits entry 4 for commit c{40})/);
      });
    });

    /**
     * What an attacker with only the appender's rights (S3: PutObject, never a delete or an
     * overwrite that is read; a directory: write access to the folder) tries after the fix for
     * an object planted ahead of the log. Nothing acknowledged is lost, no receipt overwritten,
     * verify lists the planted objects as junk, and the gates judge the genuine records only.
     */
    describe('an object planted ahead of the log, with only the appender rights', () => {
      let foreign: string[];
      beforeAll(() => {
        foreign = makeEnvelopes(join(dir, 'planted'), other, 4, `planted-${Math.random()}`);
      });
      const raw = (f: string) => readFileSync(f);
      const seqsOf = async (spec: string) => {
        const out: number[] = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) out.push(e.seq);
        return out;
      };

      it('planted at tail + 1 before the append: S3 passes it over, a directory store refuses naming it', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 4, encodeEntry(4, GENESIS_PREV, raw(foreign[0])));
        if (kind !== 's3') {
          expectRefusedBy(spec, envs[3], 4);
          expectPlantedJunk(spec, 4);
          await moveAside(spec, 4);
        }
        expect(appendOk(spec, envs[3])).toBe(4);
        const v = verify(spec);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
        if (kind === 's3')
          expect(v.stderr).toMatch(/note: junk: .*000000000004\.json: older version .* does not chain onto entry 3/);
        else expect(v.stderr).toBe('');
        expect((await openStore(spec, { env: a.env }).get(4)).digest).toBe(sha256Tagged(raw(envs[3])));
      });

      it('planted at tail + 2 and tail + 5: each is met in turn, and no append lands past it', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 5, encodeEntry(5, GENESIS_PREV, raw(foreign[0])));
        await a.writeRaw(spec, 8, encodeEntry(8, GENESIS_PREV, raw(foreign[1])));
        expect(appendOk(spec, envs[3])).toBe(4);
        for (let i = 4; i <= 7; i++) {
          const seq = i + 1;
          if (kind !== 's3' && (seq === 5 || seq === 8)) {
            expectRefusedBy(spec, envs[i], seq);
            await moveAside(spec, seq);
          }
          expect(appendOk(spec, envs[i])).toBe(seq);
        }
        expect(await seqsOf(spec)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        const v = verify(spec);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
      });

      it('a planted object that chains correctly but is signed by an untrusted key is an entry no gate counts', async () => {
        const spec = await build(3);
        const e3 = await a.readRaw(spec, 3);
        await a.writeRaw(spec, 4, encodeEntry(4, entryHash(e3), raw(foreign[2])));
        expect(appendOk(spec, envs[3])).toBe(5);
        const v = verify(spec);
        expect(v.code).toBe(0);
        expect(v.stderr).toMatch(/note: junk: .*000000000004\.json: envelope not signed by a trusted key/);
        expect(verify(spec, ['--strict']).code).toBe(3);
      });

      it('a planted copy of a genuine record: a byte copy is passed over, a re-chained copy is a duplicate, a copy far ahead is never "already appended"', async () => {
        // A byte copy of entry 2 at tail + 1 does not chain (its seq is 2).
        const spec = await build(3);
        await a.writeRaw(spec, 4, await a.readRaw(spec, 2));
        if (kind !== 's3') {
          expectRefusedBy(spec, envs[3], 4);
          await moveAside(spec, 4);
        }
        expect(appendOk(spec, envs[3])).toBe(4);
        expect(verify(spec).code).toBe(0);
        // Re-chained onto the tail it is entry 5, a duplicate of entry 2: the gates count the first.
        await a.writeRaw(spec, 5, encodeEntry(5, entryHash(await a.readRaw(spec, 4)), raw(envs[1])));
        expect(appendOk(spec, envs[4])).toBe(6);
        const v = verify(spec);
        expect(v.code).toBe(0);
        expect(v.stderr).toMatch(/000000000005\.json: envelope already appended as entry 2/);
        // A copy of a record not yet appended, planted past the end: the append must still put it
        // in the log (answered "already appended" with the planted seq, it would be lost).
        await a.writeRaw(spec, 9, encodeEntry(9, GENESIS_PREV, raw(envs[5])));
        expect(appendOk(spec, envs[5])).toBe(7);
        const again = kfm(['audit', 'append', envs[5], '--store', spec], a.env);
        expect(jsonLines(again.stdout)[0]).toMatchObject({ seq: 7, existing: true });
      });

      // Attacker review: plants that chain onto each other (the second onto the first) are met
      // one by one; on a directory store neither is taken for damage (nothing the log's appender
      // wrote follows them), and each is refused, then passed once moved aside.
      it('two planted objects chained onto each other ahead of the log are junk, not damage', async () => {
        const spec = await build(3);
        const p4 = encodeEntry(4, GENESIS_PREV, raw(foreign[0]));
        await a.writeRaw(spec, 4, p4);
        await a.writeRaw(spec, 5, encodeEntry(5, entryHash(p4), raw(foreign[1])));
        const v = verify(spec);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
        expect(v.stderr).toMatch(/note: junk: .*000000000004\.json: entry object that does not chain onto entry 3/);
        expect(v.stderr).toMatch(/note: junk: .*000000000005\.json: entry object past the end of the log/);
        if (kind !== 's3') {
          expectRefusedBy(spec, envs[3], 4);
          await moveAside(spec, 4);
        }
        expect(appendOk(spec, envs[3])).toBe(4);
        if (kind !== 's3') {
          expectRefusedBy(spec, envs[4], 5);
          await moveAside(spec, 5);
        }
        expect(appendOk(spec, envs[4])).toBe(5);
        expect(await seqsOf(spec)).toEqual([1, 2, 3, 4, 5]);
        expect(verify(spec).code).toBe(0);
      });

      it('a checkpoint taken while an object is planted ahead covers the log, not the plant, and the next one extends it', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 4, encodeEntry(4, GENESIS_PREV, raw(foreign[0])));
        const cp1 = join(dir, `cp-planted-${Math.random()}.txt`);
        const c1 = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp1],
          a.env,
        );
        expect([c1.code, JSON.parse(c1.stdout).size]).toEqual([0, 3]);
        if (kind !== 's3') await moveAside(spec, 4);
        expect(appendOk(spec, envs[3])).toBe(4);
        const cp2 = join(dir, `cp-planted-${Math.random()}.txt`);
        const c2 = kfm(
          ['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp2],
          a.env,
        );
        expect([c2.code, JSON.parse(c2.stdout).size]).toEqual([0, 4]);
        const v = verify(spec, ['--checkpoint', cp1, '--checkpoint', cp2]);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
        const since = verify(spec, ['--since', cp1]);
        expect([since.code, since.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
      });

      // Attacker review: on S3 a newer version of an entry that chains onto the entry before it
      // is what an append interrupted after losing its race leaves — but the appender role can
      // write one with any envelope. Only one a trusted key signed is an append to re-run; any
      // other is junk (never read: the oldest chaining version is the entry).
      (kind === 's3' ? it : it.skip)(
        'a newer version chained onto the entry before it with an untrusted envelope is junk, not an append to re-run',
        async () => {
          const spec = await build(3);
          const e2 = await a.readRaw(spec, 2);
          await a.writeRaw(spec, 3, encodeEntry(3, entryHash(e2), raw(foreign[1])));
          const v = verify(spec);
          expect(v.code).toBe(0);
          expect(v.stderr).not.toMatch(/re-run the same "kfm audit append"/);
          expect(v.stderr).toMatch(
            /note: junk: .*000000000003\.json: newer version \S+ chains onto entry 2 but is no append to re-run .*envelope not signed by a trusted key/,
          );
          expect(verify(spec, ['--strict']).code).toBe(3);
          expect((await openStore(spec, { env: a.env }).get(3)).digest).toBe(sha256Tagged(raw(envs[2])));
        },
      );

      (kind === 's3' ? it : it.skip)(
        'a newer version chained onto the entry before it with a trusted envelope is an append to re-run, and re-running it settles it',
        async () => {
          const spec = await build(3);
          const e2 = await a.readRaw(spec, 2);
          await a.writeRaw(spec, 3, encodeEntry(3, entryHash(e2), raw(envs[5])));
          const v = verify(spec);
          expect(v.code).toBe(0);
          expect(v.stderr).not.toMatch(/junk/);
          expect(v.stderr).toMatch(
            new RegExp(
              `000000000003\\.json: newer version \\S+ is the leftover of an interrupted append .*re-run the same "kfm audit append" of the envelope ${sha256Tagged(raw(envs[5]))}`,
            ),
          );
          expect(verify(spec, ['--strict']).code).toBe(0);
          expect(appendOk(spec, envs[5])).toBe(4);
          const again = verify(spec);
          expect(again.code).toBe(0);
          expect(again.stderr).toMatch(
            /000000000003\.json: newer version \S+ is a lost append race \(appended again as entry 4\)/,
          );
        },
      );

      it('kfm audit get of a seq the log has not reached does not print the object planted there', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 9, encodeEntry(9, GENESIS_PREV, raw(foreign[0])));
        const r = kfm(['audit', 'get', '--store', spec, '--seq', '9'], a.env);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/000000000009\.json: no entry 9 in the log \(3 entries/);
        expect(kfm(['audit', 'get', '--store', spec, '--seq', '3'], a.env).code).toBe(0);
      });

      it('two appends racing after a plant lose nothing and fork nothing', async () => {
        const spec = await build(3);
        await a.writeRaw(spec, 4, encodeEntry(4, GENESIS_PREV, raw(foreign[3])));
        const race = () =>
          Promise.all([envs[3], envs[4], envs[5]].map((f) => kfmAsync(['audit', 'append', f, '--store', spec], a.env)));
        let runs = await race();
        if (kind !== 's3') {
          // Both refuse (nothing acknowledged, nothing written); moved aside, they race again.
          expect(runs.map((r) => [r.code, r.stdout])).toEqual([
            [2, ''],
            [2, ''],
            [2, ''],
          ]);
          expect(await seqsOf(spec)).toEqual([1, 2, 3]);
          await moveAside(spec, 4);
          runs = await race();
        }
        expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
        const seqs = runs.map((r) => jsonLines(r.stdout)[0].seq).sort();
        expect(seqs).toEqual([4, 5, 6]);
        const logged = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) logged.push(e.digest);
        expect(logged.slice(3).sort()).toEqual([envs[3], envs[4], envs[5]].map((f) => sha256Tagged(raw(f))).sort());
        const v = verify(spec);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
      });
    });

    /**
     * An appender given the log's public key (`--log-pub`) starts from the newest index note that
     * verifies under it instead of reading the log from entry 1 (issue 24). What an attacker with
     * only the appender's rights does to the notes costs at most a slower append: never a wrong
     * seq, never an acknowledged record lost, never a jam.
     */
    describe('an appender given the log key starts at the newest verified index note', () => {
      let foreign: string[];
      beforeAll(() => {
        foreign = makeEnvelopes(join(dir, 'planted-ix'), other, 3, `planted-ix-${Math.random()}`);
      });
      const raw = (f: string) => readFileSync(f);
      const keyHash = (k: KeyFiles) => noteKeyHash('kfm-infra/audit', k.signing.publicKey).toString('hex');
      const FALLBACK = 'kfm: note: no index note verifies under --log-pub; reading the log from entry 1\n';

      function checkpoint(spec: string): void {
        const cp = join(dir, `cp-start-${Math.random()}.txt`);
        const r = kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp], a.env);
        expect([r.code, r.stderr]).toEqual([0, '']);
      }
      /** Entries 1..6 with index notes at 3 and 5 (signed by the log key). */
      async function logWithNotes(): Promise<string> {
        const spec = await build(3);
        checkpoint(spec);
        expect(await appendHere(spec, [envs[3], envs[4]])).toEqual([4, 5]);
        checkpoint(spec);
        expect(await appendHere(spec, [envs[5]])).toEqual([6]);
        return spec;
      }
      function keyedAppend(spec: string, file: string) {
        const r = kfm(['audit', 'append', file, '--store', spec, '--log-pub', key.pub], a.env);
        return { ...r, seq: r.code === 0 ? (jsonLines(r.stdout)[0].seq as number) : undefined };
      }
      /** Nothing acknowledged is lost: the log is exactly these files, in order, and verifies. */
      async function expectLog(spec: string, files: string[]): Promise<void> {
        const got: string[] = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) got.push(e.digest);
        expect(got).toEqual(files.map((f) => sha256Tagged(raw(f))));
        const v = verify(spec);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
      }
      /** An index note for the genuine log plus fabricated entries up to `size`, signed by `signer`; plants entry `size`. */
      async function forgedNote(spec: string, size: number, signer: KeyFiles): Promise<string> {
        const store = openStore(spec, { env: a.env });
        const b = new IndexBuilder();
        let prev = GENESIS_PREV;
        let n = 0;
        for await (const e of store.entries()) {
          b.push(e);
          prev = entryHash(e.entryBytes);
          n = e.seq;
        }
        let last: Buffer = Buffer.alloc(0);
        for (let s = n + 1; s <= size; s++) {
          last = encodeEntry(s, prev, raw(foreign[(s - n - 1) % foreign.length]));
          b.push(toStored(decodeEntry(last, `forged ${s}`), last));
          prev = entryHash(last);
        }
        const { body, shardFiles } = b.finish('kfm-infra/audit');
        for (const [path, bytes] of shardFiles) await a.writeDerived(spec, path, bytes);
        await a.writeRaw(spec, size, last);
        const name = indexPath(size, keyHash(signer));
        await a.writeDerived(spec, name, signIndex(body, signer.signing));
        return name;
      }

      it('appends where the full read would, answers a record the note covers as already appended, and says nothing', async () => {
        const spec = await logWithNotes();
        const r = keyedAppend(spec, envs[6]);
        expect([r.code, r.stderr, r.seq]).toEqual([0, '', 7]);
        const again = kfm(['audit', 'append', envs[1], envs[7], '--store', spec, '--log-pub', key.pub], a.env);
        expect([again.code, again.stderr]).toEqual([0, '']);
        expect(jsonLines(again.stdout)).toEqual([
          { seq: 2, digest: sha256Tagged(raw(envs[1])), existing: true },
          { seq: 8, digest: sha256Tagged(raw(envs[7])) },
        ]);
        await expectLog(spec, envs.slice(0, 8));
      });

      if (kind !== 's3')
        it('reads no entry the note covers (entry 1 moved away: the keyed append still lands after the note)', async () => {
          const spec = await logWithNotes();
          renameSync(join(spec, 'entries', '000000000001.json'), `${spec}-e1.json`);
          expect(keyedAppend(spec, envs[6]).seq).toBe(7);
          renameSync(`${spec}-e1.json`, join(spec, 'entries', '000000000001.json'));
          await expectLog(spec, envs.slice(0, 7));
        });

      it('(a) the newest note deleted: the older verified note starts it; every note deleted: the full read', async () => {
        const spec = await logWithNotes();
        await a.deleteDerived(spec, indexPath(5, keyHash(key)));
        expect(keyedAppend(spec, envs[6]).seq).toBe(7);
        await a.deleteDerived(spec, indexPath(3, keyHash(key)));
        const r = keyedAppend(spec, envs[7]);
        expect(r.seq).toBe(8);
        // No note left to verify (S3: a delete marker hides nothing from a reader of the oldest version).
        expect(r.stderr).toBe('');
        await expectLog(spec, envs.slice(0, 8));
      });

      it('(b) a note signed by another key, with its entry planted, is ignored; the same note under the log key is followed', async () => {
        const spec = await logWithNotes();
        await forgedNote(spec, 9, other);
        const r = keyedAppend(spec, envs[6]);
        expect([r.code, r.seq]).toEqual([0, 7]);
        expect(r.stderr).toBe('');
        await expectLog(spec, envs.slice(0, 7));
        // Control (the key is what tells them apart): signed by the log's key, the note is trusted.
        const ctl = await logWithNotes();
        await forgedNote(ctl, 9, key);
        expect(keyedAppend(ctl, envs[6]).seq).toBe(10);
      });

      // The keyed start reads the current version of the note and of its last entry first (one
      // request each); newer versions over them must not hide the note: every version is checked.
      (kind === 's3' ? it : it.skip)(
        '(b2) newer versions over a verified note and over its last entry hide neither: the note is still followed',
        async () => {
          const ctl = await logWithNotes();
          const name = await forgedNote(ctl, 9, key);
          await a.writeDerived(ctl, name, Buffer.from('not an index note\n'));
          await a.writeRaw(ctl, 9, Buffer.from('{"not":"an entry"}\n'));
          const r = keyedAppend(ctl, envs[6]);
          expect([r.code, r.stderr, r.seq]).toEqual([0, '', 10]);
        },
      );

      it('(c) an older valid note copied under a name that sorts last is passed over: the largest verified note wins', async () => {
        const spec = await logWithNotes();
        const old = await openStore(spec, { env: a.env }).getDerived(indexPath(3, keyHash(key)));
        await a.writeDerived(spec, indexPath(99, keyHash(key)), old!);
        await a.writeDerived(spec, indexPath(5, 'ffffffff'), old!);
        expect(keyedAppend(spec, envs[6]).seq).toBe(7);
        // Alone (the genuine notes deleted), the misnamed copies start nothing either.
        await a.deleteDerived(spec, indexPath(5, keyHash(key)));
        await a.deleteDerived(spec, indexPath(3, keyHash(key)));
        const alone = keyedAppend(spec, envs[7]);
        expect(alone.seq).toBe(8);
        // Notes are there and none will do: the full read, said once (S3: the genuine ones still read).
        expect(alone.stderr).toBe(kind === 's3' ? '' : FALLBACK);
        const got: string[] = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) got.push(e.digest);
        expect(got).toEqual(envs.slice(0, 8).map((f) => sha256Tagged(raw(f))));
      });

      it('(d) an object planted right after the note is still junk, never a jam (S3: passed over; a directory: refused naming it)', async () => {
        const spec = await build(3);
        checkpoint(spec);
        await a.writeRaw(spec, 4, encodeEntry(4, GENESIS_PREV, raw(foreign[0])));
        if (kind !== 's3') {
          const refused = keyedAppend(spec, envs[3]);
          expect([refused.code, refused.stdout]).toEqual([2, '']);
          expect(refused.stderr).toMatch(
            /000000000004\.json: an object that does not chain onto entry 3 is where entry 4 goes/,
          );
          renameSync(join(spec, 'entries', '000000000004.json'), `${spec}-planted-4.json`);
        }
        expect(keyedAppend(spec, envs[3]).seq).toBe(4);
        // A note at 4 commits to the entry, not the plant (S3: the older version under that key).
        checkpoint(spec);
        const r = keyedAppend(spec, envs[4]);
        expect([r.code, r.stderr, r.seq]).toEqual([0, '', 5]);
        await expectLog(spec, envs.slice(0, 5));
      });

      it('(e) appends racing with the key lose nothing and fork nothing', async () => {
        const spec = await logWithNotes();
        const runs = await Promise.all(
          [envs[6], envs[7], envs[0]].map((f) =>
            kfmAsync(['audit', 'append', f, '--store', spec, '--log-pub', key.pub], a.env),
          ),
        );
        expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
        expect(jsonLines(runs[2].stdout)[0]).toMatchObject({ seq: 1, existing: true });
        expect([jsonLines(runs[0].stdout)[0].seq, jsonLines(runs[1].stdout)[0].seq].sort()).toEqual([7, 8]);
        const got: string[] = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) got.push(e.digest);
        expect(got.slice(0, 6)).toEqual(envs.slice(0, 6).map((f) => sha256Tagged(raw(f))));
        expect(got.slice(6).sort()).toEqual([envs[6], envs[7]].map((f) => sha256Tagged(raw(f))).sort());
      });

      it('a note whose size ends a 256-entry range is checked through its bundle', async () => {
        const spec = await appendedLog(256);
        checkpoint(spec);
        const r = keyedAppend(spec, envs[0]);
        expect([r.code, r.stderr, r.seq]).toEqual([0, '', 257]);
        if (kind !== 's3') {
          // Without the bundle the note's last entry cannot be checked: the full read, said once.
          renameSync(join(spec, bundlePath(1)), `${spec}-bundle-1`);
          const f = keyedAppend(spec, envs[1]);
          expect([f.code, f.stderr, f.seq]).toEqual([0, FALLBACK, 258]);
          renameSync(`${spec}-bundle-1`, join(spec, bundlePath(1)));
        }
        const v = verify(spec);
        expect([v.code, v.stderr.includes('LOG_INTEGRITY')]).toEqual([0, false]);
      });
    });

    describe('kfm gate promote --checkpoint reads by proof and judges as the whole log does', () => {
      const pin = pinnedBundleDigest('stage')!;
      let ciPub: string;
      let ciKey: string;
      beforeAll(() => {
        ciPub = join(dir, 'gate-ci.pub');
        ciKey = join(dir, 'gate-ci.key');
        writeFile(ciPub, ev.ci.publicPem);
        writeFile(ciKey, ev.ci.privatePem, { mode: 0o600 });
      });
      /** Entries 1..n of other work (no commit claimed), written straight into the store. */
      async function filler(spec: string, n: number): Promise<void> {
        await initStore(spec, (x) => openStore(x, { env: a.env }));
        let prev = GENESIS_PREV;
        const raw: Buffer[] = [];
        for (let i = 1; i <= n; i++) {
          const st = {
            _type: 'https://in-toto.io/Statement/v1',
            subject: [{ name: `filler-${i}`, digest: { sha256: '0'.repeat(64) } }],
            predicateType: 'https://kfm.example/ledger-test/v1',
            predicate: { i, nonce: Math.random() },
          };
          const env = signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), ev.ci.signing);
          const bytes = encodeEntry(i, prev, Buffer.from(serializeEnvelope(env)));
          prev = entryHash(bytes);
          raw.push(bytes);
        }
        for (let i = 0; i < n; i += 32)
          await Promise.all(raw.slice(i, i + 32).map((b, j) => a.writeRaw(spec, i + j + 1, b)));
      }
      /**
       * Append the ledger's entries from..to (1-based, inclusive): the bytes `kfm audit append`
       * writes, written straight into the store (these tests are about the gate's read; an append
       * through the CLI would re-read the whole log each time, which the tests above cover).
       */
      async function append(spec: string, l: ev.Ledger, from: number, to = l.entries.length): Promise<void> {
        let seq = await openStore(spec, { env: a.env }).listedSize!();
        let prev = seq === 0 ? GENESIS_PREV : entryHash(await a.readRaw(spec, seq));
        for (const e of l.entries.slice(from - 1, to)) {
          const bytes = encodeEntry(++seq, prev, Buffer.from(e.envelopeBytes));
          await a.writeRaw(spec, seq, bytes);
          prev = entryHash(bytes);
        }
      }
      function checkpoint(spec: string): string {
        const out = join(dir, `gate-cp-${Math.random()}.txt`);
        const r = kfm(['audit', 'checkpoint', '--store', spec, '--key', ciKey, '--pub', ciPub, '--out', out], a.env);
        expect([r.code, r.stderr]).toEqual([0, '']);
        return out;
      }
      type Item = { requirement: string; ok: boolean; detail: string };
      function promote(
        spec: string,
        cps: string[],
        extra: string[] = [],
      ): { code: number; allowed: boolean; items: Item[]; stderr: string } {
        const r = kfm(
          [
            'gate',
            'promote',
            '--to',
            'stage',
            '--store',
            spec,
            '--pub',
            ciPub,
            '--commit',
            ev.COMMIT,
            '--json',
            ...cps.flatMap((c) => ['--checkpoint', c]),
            ...extra,
          ],
          a.env,
        );
        const out = JSON.parse(r.stdout) as { allowed: boolean; items: Item[] };
        return { code: r.code, allowed: out.allowed, items: out.items, stderr: r.stderr };
      }
      const ledgerItem = (r: { items: Item[] }) => r.items.find((i) => i.requirement === 'audit ledger')!;
      const others = (r: { items: Item[] }) => r.items.filter((i) => i.requirement !== 'audit ledger');
      /** The same verdict and items by proof as from the whole log (unanchored read). */
      function sameAsWholeLog(spec: string, cps: string[]) {
        const proof = promote(spec, cps);
        expect(ledgerItem(proof).detail).toMatch(/read by proof against/);
        const whole = promote(spec, []);
        expect(ledgerItem(whole).detail).toMatch(/entries verify/);
        expect({ allowed: proof.allowed, items: others(proof) }).toEqual({
          allowed: whole.allowed,
          items: others(whole),
        });
        return proof;
      }
      /** 257 entries of other work (a complete bundle), then dev proven and a stage plan. */
      async function proven(before = 257): Promise<{ spec: string; l: ev.Ledger }> {
        const spec = a.newSpec();
        await filler(spec, before);
        const l = new ev.Ledger(pin);
        l.provenTier('dev');
        l.plan('stage');
        await append(spec, l, 1);
        return { spec, l };
      }

      it('allows a proven commit, reading its entries by inclusion proof and the entries after the checkpoint', async () => {
        const { spec, l } = await proven();
        const cp = checkpoint(spec);
        await filler2(spec, l);
        const r = sameAsWholeLog(spec, [cp]);
        expect([r.code, r.allowed]).toEqual([0, true]);
        expect(ledgerItem(r).detail).toMatch(
          /5 entries of the commit proven by inclusion .*, 1 entry after it chained and signed/,
        );
      });
      /** One more entry after the checkpoint that is not about the commit. */
      async function filler2(spec: string, _l: ev.Ledger): Promise<void> {
        const other = new ev.Ledger(pin);
        other.add('https://kfm.example/ledger-test/v1', { unrelated: true });
        await append(spec, other, 1);
      }

      it('never misses a failed apply recorded before the checkpoint, however much else was appended', async () => {
        const { spec, l } = await proven();
        const devPlan = l.plan('dev');
        l.apply('dev', devPlan, 'failed');
        await append(spec, l, l.entries.length - 1);
        await filler2(spec, l);
        const cp = checkpoint(spec);
        const r = sameAsWholeLog(spec, [cp]);
        expect([r.code, r.allowed]).toEqual([1, false]);
        expect(r.items.find((i) => i.requirement === 'dev apply receipt')!.ok).toBe(false);
      });

      it('never misses a drifted report appended after the checkpoint', async () => {
        const { spec, l } = await proven();
        const cp = checkpoint(spec);
        l.drift('dev', 3);
        await append(spec, l, l.entries.length);
        const r = sameAsWholeLog(spec, [cp]);
        expect([r.code, r.allowed]).toEqual([1, false]);
        expect(r.items.find((i) => i.requirement === 'dev drift report')!.detail).toMatch(/drifted: 3/);
      });

      it('never misses a drifted report made at a later commit and bound to the apply', async () => {
        const { spec, l } = await proven();
        // The hourly drift run checks out the newest commit; it binds its report to the dev apply.
        l.drift('dev', 3, l.lastApply, ev.OTHER);
        await append(spec, l, l.entries.length);
        await filler2(spec, l);
        const cp = checkpoint(spec);
        const r = sameAsWholeLog(spec, [cp]);
        expect([r.code, r.allowed]).toEqual([1, false]);
        expect(r.items.find((i) => i.requirement === 'dev drift report')!.detail).toMatch(/drifted: 3/);
        expect(ledgerItem(r).detail).toMatch(/5 entries of the commit and 1 record bound to them proven by inclusion/);
      });

      it('checks every other trusted checkpoint for consistency, and a forked one sends it to the whole log', async () => {
        const { spec, l } = await proven();
        const older = checkpoint(spec);
        await filler2(spec, l);
        const newer = checkpoint(spec);
        const r = promote(spec, [older, newer]);
        expect([r.code, r.allowed]).toEqual([0, true]);
        expect(ledgerItem(r).detail).toMatch(/against .*consistent with 1 more trusted checkpoint/);
        // A checkpoint of another log under the same key: the gate cannot trust this one.
        const fork = await proven();
        const forked = checkpoint(fork.spec);
        const bad = promote(spec, [forked, newer]);
        expect([bad.code, bad.allowed]).toEqual([1, false]);
        expect(ledgerItem(bad).ok).toBe(false);
        expect(ledgerItem(bad).detail).toMatch(/read the whole log \(.*not consistent with/);
      });

      it('with witnesses, judges by proof only what a quorum cosigned', async () => {
        const { spec, l } = await proven();
        const cp = checkpoint(spec);
        const note = readFileSync(cp, 'utf8');
        const w = ev.keyPair('w1');
        const wPub = join(dir, `w1-${Math.random()}.pub`);
        writeFile(wPub, w.publicPem);
        const cosigned = join(dir, `cp-cosigned-${Math.random()}.txt`);
        const line = cosign(parseCheckpoint(note, cp).text, 'w1', w.signing, 1_764_000_000);
        writeFile(cosigned, addSignatureLines(note, [line]));
        // No witness process here: the store's view is accepted explicitly (gates/fresh-witnesses.ts).
        const witness = ['--witness', `w1=${wPub}`, '--quorum', '1', '--accept-store-view'];
        const r = promote(spec, [cosigned], witness);
        expect([r.code, r.allowed]).toEqual([0, true]);
        expect(ledgerItem(r).detail).toMatch(
          /read by proof against .*: 5 entries of the commit .*witnessed: entries 1 to \d+ judged, cosigned by w1 \(quorum 1\)/,
        );
        // A failed dev apply after the witnessed checkpoint: not yet witnessed, so it proves
        // nothing, but it denies (records not yet witnessed can deny, never allow).
        const devPlan = l.plan('dev');
        l.apply('dev', devPlan, 'failed');
        await append(spec, l, l.entries.length - 1);
        const raced = promote(spec, [cosigned], witness);
        expect([raced.code, raced.allowed]).toEqual([1, false]);
        expect(ledgerItem(raced).detail).toMatch(/not yet witnessed, not judged/);
        expect(raced.stderr).toMatch(/BLOCKED dev apply receipt: .*not yet cosigned/);
        // The same note without the cosignature is not trusted under a quorum: the whole log, which fails.
        const bare = promote(spec, [cp], witness);
        expect([bare.code, bare.allowed]).toEqual([1, false]);
        expect(ledgerItem(bare).detail).toMatch(/not witnessed.*read the whole log/);
      });

      it('an altered bundle holding the commit is not used: the entries themselves are proven', async () => {
        // 249 entries of other work, then the commit's 7 (250–256): the first bundle holds them all.
        const { spec, l } = await proven(249);
        const devPlan = l.plan('dev');
        l.apply('dev', devPlan, 'failed');
        await append(spec, l, l.entries.length - 1);
        await filler2(spec, l);
        const cp = checkpoint(spec);
        // Someone with write access swaps the failed apply (256) for the earlier good one (251) in the bundle.
        const lines: Buffer[] = [];
        for await (const e of openStore(spec, { env: a.env }).entries()) if (e.seq <= 256) lines.push(e.entryBytes);
        lines[255] = lines[250];
        await a.writeDerived(spec, bundlePath(1), Buffer.concat(lines));
        const r = promote(spec, [cp]);
        expect([r.code, r.allowed]).toEqual([1, false]);
        expect(ledgerItem(r).detail).toMatch(/read by proof/);
        expect(r.items.find((i) => i.requirement === 'dev apply receipt')!.ok).toBe(false);
        const v = kfm(['audit', 'verify', '--store', spec, '--pub', ciPub], a.env);
        // A directory's bundle altered after the checkpoint is damage; on S3 the alteration is a
        // newer version, never read: junk.
        expect(v.code).toBe(kind === 's3' ? 0 : 3);
        expect(v.stderr).toMatch(
          kind === 's3'
            ? /note: junk: .*bundle.*newer version/
            : /LOG_INTEGRITY: .*bundle differs from entry 256 .*altered after/,
        );
      });
    });

    it('loses, duplicates and forks nothing with 8 concurrent appender processes', async () => {
      const spec = a.newSpec();
      const per = kind === 's3' ? 6 : 12;
      const batches = Array.from({ length: 8 }, (_, w) =>
        makeEnvelopes(join(dir, `w${w}`), key, per, `w${w}-${Math.random()}`),
      );
      const runs = await Promise.all(
        batches.map((files) => kfmAsync(['audit', 'append', '--init', ...files, '--store', spec], a.env)),
      );
      for (const r of runs) expect(r.code).toBe(0);
      const acked = runs.flatMap((r) => jsonLines(r.stdout));
      expect(acked).toHaveLength(8 * per);
      expect(new Set(acked.map((x) => x.seq)).size).toBe(8 * per);
      expect(Math.max(...acked.map((x) => x.seq))).toBe(8 * per);
      const store = openStore(spec, { env: a.env });
      for (const x of acked) expect((await store.get(x.seq)).digest).toBe(x.digest);
      const expected = batches
        .flat()
        .map((f) => sha256Tagged(readFileSync(f)))
        .sort();
      expect(acked.map((x) => x.digest).sort()).toEqual(expected);
      const v = verify(spec);
      expect(v.stderr.split('\n').filter((l) => l.includes('LOG_INTEGRITY'))).toEqual([]);
      expect(v.code).toBe(0);
    });
  });
}

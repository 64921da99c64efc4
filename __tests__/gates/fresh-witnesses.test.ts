/**
 * Gates over a witnessed ledger, attacked with only an appender's access (add, delete or reorder
 * objects in the store; sign with an approver key), on the directory store and the real local
 * radosgw, with two real `kfm witness serve` processes and the real CLI:
 * - witnesses are asked, not inferred: an older witnessed note copied under a name that sorts
 *   last is an integrity finding; deleting the newest witnessed note is caught by asking the
 *   witnesses; no witness reachable blocks unless --accept-store-view; a pinned (witnessed)
 *   checkpoint and the quorum work together;
 * - evidence by role first: an approver's re-signed copy of a failing CI record, appended first,
 *   neither counts nor hides the real one, on the full read and by proof;
 * - an approval by an approver key given to the gate now counts, whenever it was appended;
 * - `kfm gate evidence` reads as the gates do and fails on a ledger that does not verify.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { signCheckpoint } from '../../ledger/checkpoint';
import { checkpointLog } from '../../ledger/checkpointing/checkpoint-log';
import { openStore } from '../../ledger/open-store';
import { pinnedBundleDigest } from '../../gates/pins';
import { generateKeyPairPem, parseSigningKey, parseTrustedKey, trustedKeyOf } from '../../attest/sign/ed25519';
import { REPO, tempDir } from '../ledger/helpers';
import { ci, COMMIT, Ledger, reviewer } from './support/evidence';
import { onBothStores, RawStore } from './support/stores';

jest.setTimeout(240_000);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const ORIGIN = 'kfm-infra/audit';
const dir = tempDir('fresh-witnesses');
const keys = join(dir, 'keys');
mkdirSync(keys, { recursive: true });
writeFileSync(join(keys, 'ci.pub'), ci.publicPem);
writeFileSync(join(keys, 'reviewer.pub'), reviewer.publicPem);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Witness {
  readonly name: string;
  readonly pub: string;
  readonly url: string;
  readonly child: ChildProcess;
}

/** A real witness of the CI key's log; resolves once it listens. */
function startWitness(label: string, name: string): Promise<Witness> {
  const { privatePem, publicPem } = generateKeyPairPem();
  const wdir = join(dir, label, name);
  mkdirSync(wdir, { recursive: true });
  writeFileSync(join(wdir, 'w.key'), privatePem, { mode: 0o600 });
  writeFileSync(join(wdir, 'w.pub'), publicPem);
  const child = spawn(process.execPath, [
    CLI,
    'witness',
    'serve',
    '--key',
    join(wdir, 'w.key'),
    '--name',
    name,
    '--log',
    `${ORIGIN}=${join(keys, 'ci.pub')}`,
    '--state',
    join(wdir, 'state'),
    '--listen',
    '127.0.0.1:0',
  ]);
  return new Promise((res, rej) => {
    child.once('exit', (code) => rej(new Error(`witness ${name} exited ${code}`)));
    child.stdout!.once('data', (d) => res({ name, pub: join(wdir, 'w.pub'), url: String(d).trim(), child }));
  });
}

function kfm(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

onBothStores('gates over a witnessed ledger, attacked by an appender', (raw: RawStore) => {
  let w: Witness[] = [];
  // Every test's store is another log of the same origin and key: fresh witnesses for each.
  let n = 0;
  beforeEach(async () => {
    n++;
    w = await Promise.all([startWitness(`${raw.kind}-${n}`, 'test/w1'), startWitness(`${raw.kind}-${n}`, 'test/w2')]);
  });
  afterEach(() => {
    for (const x of w) {
      x.child.removeAllListeners('exit');
      x.child.kill('SIGTERM');
    }
  });

  const witnessFlags = (urls = true) =>
    w.flatMap((x) => ['--witness', `${x.name}=${x.pub}`, ...(urls ? ['--witness-url', `${x.name}=${x.url}`] : [])]);

  /** Append every entry of `l` from `from` (1-based) on, in order. */
  async function appendFrom(spec: string, l: Ledger, from: number): Promise<void> {
    const store = openStore(spec, { env: raw.env });
    for (const e of l.entries.slice(from - 1)) await store.append(e.envelopeBytes);
  }

  /** A checkpoint a quorum of both witnesses cosigned (what scripts/cosign.sh makes); its note and stored path. */
  async function cosign(spec: string): Promise<{ note: string; size: number; path: string }> {
    const own = trustedKeyOf(ci.signing, 'ci.pub');
    const answers: string[] = [];
    const r = await checkpointLog(openStore(spec, { env: raw.env }), {
      origin: ORIGIN,
      key: ci.signing,
      own,
      pubs: [own, reviewer.trusted],
      checkpoints: [],
      endpoints: w.map((x) => ({ witness: { name: x.name, key: parseTrustedKey(readPub(x.pub), x.pub) }, url: x.url })),
      witnesses: w.map((x) => ({ name: x.name, key: parseTrustedKey(readPub(x.pub), x.pub) })),
      quorum: 2,
      timeoutMs: 10_000,
      onAnswer: (a) => answers.push(`${a.witness}: ${a.answer}`),
    }).catch((e: Error) => {
      throw new Error(`${e.message} (${answers.join('; ')})`);
    });
    const hash = createHash('sha256').update(r.note).digest('hex').slice(0, 8);
    return { note: r.note, size: r.size, path: `checkpoints/${String(r.size).padStart(12, '0')}.${hash}.txt` };
  }

  /** `kfm gate promote --to prod` of the commit, approvals counted under `approver` (NAME=PUB). */
  const promoteAs = (approver: string, spec: string, ...extra: string[]) =>
    kfm(
      raw.env,
      ...['gate', 'promote', '--to', 'prod', '--store', spec, '--pub', join(keys, 'ci.pub')],
      ...['--approver', approver, '--commit', COMMIT, '--json', ...extra],
    );
  const gate = (spec: string, ...extra: string[]) =>
    promoteAs(`reviewer=${join(keys, 'reviewer.pub')}`, spec, ...extra);
  const ledgerItem = (r: { stdout: string }) =>
    (JSON.parse(r.stdout) as { items: { requirement: string; ok: boolean; detail: string }[] }).items.find(
      (i) => i.requirement === 'audit ledger',
    )!;

  /** dev and stage proven, a prod plan and an independent approval: a promotion that may go. */
  function goodLedger(): Ledger {
    const l = new Ledger(pinnedBundleDigest('prod'));
    l.provenTier('dev');
    l.provenTier('stage');
    l.approve(l.plan('prod'));
    return l;
  }

  it('rolls back to no older witnessed tree: copied note, deleted note, silent witnesses; a pin and the quorum work together', async () => {
    const spec = raw.newSpec('rollback');
    const l = goodLedger();
    await appendFrom(spec, l, 1);
    const w1 = await cosign(spec);
    const pin = join(dir, `${raw.kind}-pin.txt`);
    writeFileSync(pin, w1.note);

    // (c) the recommended configuration: a witnessed pin, the quorum, the witnesses asked.
    const pinned = gate(spec, '--checkpoint', pin, ...witnessFlags(), '--quorum', '2');
    expect(pinned.stderr).toBe('');
    expect(pinned.code).toBe(0);
    expect(ledgerItem(pinned).detail).toMatch(/read by proof .*witnesses asked: test\/w1 \(holds tree size \d+\)/);

    // (d) no witness reachable: blocked, saying so, unless the store's view is accepted explicitly.
    const dead = w.flatMap((x) => ['--witness', `${x.name}=${x.pub}`, '--witness-url', `${x.name}=http://127.0.0.1:9`]);
    const offline = gate(spec, ...dead, '--quorum', '2');
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/BLOCKED audit ledger: .*only 0 of 2 witness\(es\) answered .*--accept-store-view/);
    expect(gate(spec, ...witnessFlags(false), '--quorum', '2').code).toBe(1);
    const accepted = gate(spec, ...dead, '--quorum', '2', '--accept-store-view');
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toMatch(/gate: note: too few witnesses answered; .*--accept-store-view/);

    // A later stage smoke run fails; both witnesses cosign the tree that holds it.
    l.smoke('stage', 'fail');
    await appendFrom(spec, l, l.entries.length);
    const w2 = await cosign(spec);
    const honest = gate(spec, ...witnessFlags(), '--quorum', '2');
    expect(honest.code).toBe(1);
    expect(honest.stderr).toMatch(/BLOCKED stage validation record: .*status "fail"/);
    expect(ledgerItem(honest).ok).toBe(true);
    // Pin and quorum: the older pin, the newer witnessed note in the store.
    expect(gate(spec, '--checkpoint', pin, ...witnessFlags(), '--quorum', '2').stderr).toMatch(
      /BLOCKED stage validation record/,
    );

    // (b) the newest witnessed note deleted: the witnesses, asked, hold the larger tree. (On S3
    // under Object Lock a delete only adds a delete marker: the store still reads the note, and
    // the gate still judges the failing smoke.)
    await raw.remove(spec, w2.path);
    const b = gate(spec, ...witnessFlags(), '--quorum', '2');
    expect(b.code).toBe(1);
    if (raw.kind === 'S3') expect(b.stderr).toMatch(/BLOCKED stage validation record: .*status "fail"/);
    else
      expect(b.stderr).toMatch(
        new RegExp(
          `BLOCKED audit ledger: .*test/w1 \\(holds tree size ${w2.size}\\), test/w2 \\(holds tree size ${w2.size}\\) have cosigned a larger tree than the ${w1.size} entries`,
        ),
      );
    // With --accept-store-view too: the witnesses answered, so there is nothing to accept.
    expect(gate(spec, ...witnessFlags(), '--quorum', '2', '--accept-store-view').code).toBe(1);
    // (a) the older witnessed note copied under a name that sorts last: junk, never the anchor
    // (a finding that blocked would let one PutObject jam every gate and freeze cosigning:
    // __tests__/review/second-review.test.ts); the gate still judges the newest witnessed tree.
    const copied = `checkpoints/999999999999.ffffffff.txt`;
    await raw.put(spec, copied, Buffer.from(w1.note));
    const a = gate(spec, ...witnessFlags(), '--quorum', '2');
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(
      raw.kind === 'S3'
        ? /BLOCKED stage validation record: .*status "fail"/
        : /BLOCKED audit ledger: .*have cosigned a larger tree/,
    );
  });

  it("an approver's re-signed copy of a failing CI record, appended first, neither counts nor hides it (full read and by proof)", async () => {
    const spec = raw.newSpec('resigned');
    const l = goodLedger();
    const apply = stageApply(l);
    // The stage smoke fails later; the approver re-signs its payload and gets the copy in first.
    l.smoke('stage', 'fail', apply);
    const real = l.entries.pop()!;
    const env = JSON.parse(real.envelopeBytes.toString('utf8')) as { payload: string; payloadType: string };
    const copy = Buffer.from(
      serializeEnvelope(signEnvelope(env.payloadType, Buffer.from(env.payload, 'base64'), reviewer.signing)),
    );
    l.entries.push({ seq: real.seq, envelopeBytes: copy }, { seq: real.seq + 1, envelopeBytes: real.envelopeBytes });
    await appendFrom(spec, l, 1);
    const cp = await cosign(spec);
    const pin = join(dir, `${raw.kind}-resigned.txt`);
    writeFileSync(pin, cp.note);

    const full = gate(spec);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/BLOCKED stage validation record: .*status "fail"/);
    const proof = gate(spec, '--checkpoint', pin, ...witnessFlags(), '--quorum', '2');
    expect(ledgerItem(proof).detail).toMatch(/read by proof/);
    expect(proof.code).toBe(1);
    expect(proof.stderr).toMatch(/BLOCKED stage validation record: .*status "fail"/);
  });

  it('counts an approval by an approver key given now, though appended before anyone else trusted that key', async () => {
    const spec = raw.newSpec('late-key');
    const late = generateKeyPairPem();
    const latePub = join(keys, `late-${raw.kind}.pub`);
    writeFileSync(latePub, late.publicPem);
    const l = new Ledger(pinnedBundleDigest('prod'));
    l.provenTier('dev');
    l.provenTier('stage');
    l.approve(l.plan('prod'), 'carol', parseSigningKey(late.privatePem, 'late'));
    await appendFrom(spec, l, 1);
    const r = promoteAs(`carol=${latePub}`, spec);
    expect(r.stderr).not.toMatch(/BLOCKED/);
    expect(r.code).toBe(0);
  });

  it('kfm gate evidence reads as the gates do: a ledger that does not verify is exit 3, one line, never "no apply receipt"', async () => {
    const spec = raw.newSpec('evidence');
    const l = goodLedger();
    await appendFrom(spec, l, 1);
    await cosign(spec);
    const out = (n: string) => join(dir, `${raw.kind}-${n}.apply.json`);
    const evidence = (o: string, ...extra: string[]) =>
      kfm(
        raw.env,
        'gate',
        'evidence',
        '--kind',
        'apply',
        '--env',
        'stage',
        '--store',
        spec,
        '--pub',
        join(keys, 'ci.pub'),
        '--approver',
        `reviewer=${join(keys, 'reviewer.pub')}`,
        '--out',
        o,
        ...extra,
      );
    expect(evidence(out('ok'), ...witnessFlags(), '--quorum', '2').code).toBe(0);
    // A trusted checkpoint of another history (same key and size, another root): the ledger does
    // not verify against it.
    const forged = join(dir, `${raw.kind}-forged.txt`);
    writeFileSync(
      forged,
      signCheckpoint({ origin: ORIGIN, size: l.entries.length, root: Buffer.alloc(32, 7) }, ci.signing),
    );
    const bad = evidence(out('forged'), '--checkpoint', forged);
    expect(bad.code).toBe(3);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^kfm: LOG_INTEGRITY: /);
    expect(bad.stderr).not.toMatch(/no trusted stage apply receipt/);
    // Witnesses that hold a larger tree than the store shows (the newest witnessed note deleted): refused too.
    l.smoke('stage', 'fail');
    await appendFrom(spec, l, l.entries.length);
    await raw.remove(spec, (await cosign(spec)).path);
    const hidden = evidence(out('hidden'), ...witnessFlags(), '--quorum', '2');
    // (S3: the delete marker hides nothing; the newest witnessed tree is read.)
    expect(hidden.code).toBe(raw.kind === 'S3' ? 0 : 3);
    if (raw.kind !== 'S3') expect(hidden.stderr).toMatch(/^kfm: LOG_INTEGRITY: .*have cosigned a larger tree/);
  });
});

/** The digest of the newest stage apply of `l` (what a stage smoke record binds to). */
function stageApply(l: Ledger): string {
  for (let i = l.entries.length - 1; i >= 0; i--) {
    const env = JSON.parse(l.entries[i]!.envelopeBytes.toString('utf8')) as { payload: string };
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    if (st.predicateType.includes('apply') && st.predicate.env === 'stage')
      return `sha256:${createHash('sha256').update(l.entries[i]!.envelopeBytes).digest('hex')}`;
  }
  throw new Error('no stage apply');
}

function readPub(path: string): string {
  return readFileSync(path, 'utf8');
}

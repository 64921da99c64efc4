/**
 * The checkpoint signer's remaining power, as an attack with exactly its access: the log's key
 * (KFM_LOG_KEY, leaked) and write access to a directory store, two real `kfm witness serve`
 * processes cosigning, a trusted pin the attacker cannot touch. The attacker re-signs the witnessed
 * tree's index note with a newer plan receipt (the record that denies applying the older plan file)
 * left out of the commit's shard.
 *
 * What stands today (docs/sigstore.md, "The checkpoint signer"): a gate reading by proof trusts the
 * index note for completeness, so it allows; it is the only read that does. Every read that does not
 * take the note's word denies or fails: the whole-log gate, `kfm audit verify` (exit 3, naming the
 * shard), and the next `kfm audit checkpoint` (what scripts/cosign.sh runs after every append),
 * which refuses to sign. The leaked key never makes a record evidence. When the gap is closed
 * (an index a pin vouches for), the assertion marked OPEN flips.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../core/canonical-json';
import { sha256Tagged } from '../../core/digest';
import { parseSigningKey } from '../../attest/sign/ed25519';
import { IndexBuilder, signIndex } from '../../ledger/log-index-build';
import { indexPath } from '../../ledger/layout';
import { noteKeyHash } from '../../ledger/checkpoint';
import { openStore } from '../../ledger/open-store';
import { kfm, PROV, REPO, TF, tmp } from '../receipts/helpers';

jest.setTimeout(240_000);

const PLAN = join(TF, 'generated-tf1.11.4', 'slow-apply-and-data-read', '1-create.show-plan.json');
const COMMIT = PROV[1]!;
const ORIGIN = 'kfm-infra/audit';
const dir = tmp('kfm-leaked-log-key-');
const f = (name: string): string => join(dir, name);
const store = f('ledger');
const witnesses: ChildProcess[] = [];
const urls: Record<string, string> = {};

function ok(args: string[]): string {
  const r = kfm(args);
  if (r.status !== 0) throw new Error(`kfm ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const keygen = (name: string): { key: string; pub: string } => {
  ok(['keygen', '--out-dir', f(name)]);
  return { key: f(`${name}/kfm-signing.key`), pub: f(`${name}/kfm-signing.pub`) };
};
const witnessArgs = (): string[] =>
  Object.entries(urls).flatMap(([w, url]) => [
    '--witness',
    `${w}=${f(`${w.slice(5)}.pub`)}`,
    '--witness-url',
    `${w}=${url}`,
  ]);

let ci: { key: string; pub: string };
let log: { key: string; pub: string };
let alice: { key: string; pub: string };
let pin: string;
let newerPlanSeq: number;

/** A plan receipt of the audit stack for `planFile`, author carol, signed by the CI key; appended. */
function planReceipt(name: string, planFile: string): string {
  const out = f(name);
  ok([
    'receipt',
    'plan',
    PLAN,
    '--env',
    'audit',
    '--key',
    ci.key,
    '--out',
    out,
    '--plan-file',
    planFile,
    '--policy',
    f('verdict.json'),
    '--author',
    'carol',
    ...PROV,
  ]);
  return out;
}
/**
 * The keys of the ledger's own checks (audit verify, audit checkpoint), as scripts/cosign.sh passes
 * them: the log's key is among --pub (KFM_PUB is keys/kfm-ci.pub, the log's key, in deploy.yml), so
 * the notes it signed are checked, not skipped as junk.
 */
const LEDGER_KEYS = (): string[] => ['--pub', ci.pub, '--pub', log.pub];
const append = (file: string): number => JSON.parse(ok(['audit', 'append', file, '--store', store])).seq as number;
/** `kfm audit checkpoint` with the log's key, cosigned by both witnesses (what scripts/cosign.sh runs). */
const checkpoint = (out: string) =>
  kfm([
    'audit',
    'checkpoint',
    '--store',
    store,
    '--key',
    log.key,
    ...LEDGER_KEYS(),
    '--approver',
    `alice=${alice.pub}`,
    '--out',
    out,
    ...witnessArgs(),
    '--quorum',
    '2',
  ]);

/** `kfm gate apply --env audit` of the older plan file X, anchored to the pin, witnesses asked. */
function gate(anchored = true) {
  const r = kfm([
    'gate',
    'apply',
    '--env',
    'audit',
    '--plan-file',
    f('x.tfplan'),
    '--store',
    store,
    '--pub',
    ci.pub,
    '--log-pub',
    log.pub,
    '--approver',
    `alice=${alice.pub}`,
    '--commit',
    COMMIT,
    ...(anchored ? ['--checkpoint', pin, ...witnessArgs(), '--quorum', '2'] : []),
    '--json',
  ]);
  const j = JSON.parse(r.stdout) as { allowed: boolean; items: { requirement: string; ok: boolean; detail: string }[] };
  return { code: r.status, allowed: j.allowed, item: (req: string) => j.items.find((i) => i.requirement === req)! };
}

function startWitness(name: string): Promise<string> {
  const k = keygen(`witness-${name}`);
  copyFileSync(k.pub, f(`${name}.pub`));
  const child = spawn(process.execPath, [
    join(REPO, 'dist/receipts/cli.js'),
    'witness',
    'serve',
    '--key',
    k.key,
    '--name',
    `flow/${name}`,
    '--log',
    `${ORIGIN}=${log.pub}`,
    '--state',
    f(`witness-${name}/state`),
    '--listen',
    '127.0.0.1:0',
  ]);
  witnesses.push(child);
  return new Promise((res) => child.stdout!.once('data', (d) => res(String(d).trim())));
}

/**
 * The attack: the index note of the store's newest checkpoint (tree size `size`) rebuilt from the
 * entries with seq `hide` left out of the commit's shard, and signed with the leaked log key,
 * written over the honest note (a directory store: the attacker can write it).
 */
async function forgeIndexWithout(size: number, hide: number): Promise<string> {
  const s = openStore(store);
  const b = new IndexBuilder();
  for await (const e of s.entries()) if (e.seq <= size) b.push(e);
  const { body, shardFiles } = b.finish(ORIGIN);
  const shards: Record<string, string> = { ...body.shards };
  for (const [path, bytes] of shardFiles) {
    const obj = JSON.parse(bytes.toString('utf8'));
    if (!obj.commits?.[COMMIT]?.includes(hide)) continue;
    obj.commits[COMMIT] = obj.commits[COMMIT].filter((x: number) => x !== hide);
    const out = Buffer.from(canonicalJson(obj) + '\n');
    for (const k of Object.keys(shards))
      if (shards[k] === `sha256:${path.slice(13, -5)}`) shards[k] = sha256Tagged(out);
    await s.putDerived(`index/shards/${sha256Tagged(out).slice(7)}.json`, out);
  }
  const leaked = parseSigningKey(readFileSync(log.key), 'leaked log key');
  const name = indexPath(size, noteKeyHash(ORIGIN, leaked.publicKey).toString('hex'));
  // Over the honest note, with the directory write the attacker has (the store itself never overwrites).
  writeFileSync(join(store, name), signIndex({ ...body, shards }, leaked));
  return name;
}

beforeAll(async () => {
  ci = keygen('ci');
  log = keygen('log');
  alice = keygen('alice');
  mkdirSync(f('pins'));
  writeFileSync(f('x.tfplan'), 'plan file X (approved)\n');
  writeFileSync(f('y.tfplan'), 'plan file Y (planned after X)\n');
  writeFileSync(f('verdict.json'), kfm(['policy', 'check', '--plan', PLAN, '--env', 'audit', '--json']).stdout);
  const [u1, u2] = await Promise.all([startWitness('w1'), startWitness('w2')]);
  Object.assign(urls, { 'flow/w1': u1, 'flow/w2': u2 });
  ok(['audit', 'init', '--store', store]);
  const a = planReceipt('a.plan.json', f('x.tfplan'));
  append(a);
  const approval = f('a.approval.json');
  ok([
    'approve',
    '--env',
    'audit',
    '--plan-receipt',
    a,
    '--principal',
    'alice',
    '--key',
    alice.key,
    '--change-record',
    'CR-27',
    '--pub',
    ci.pub,
    '--out',
    approval,
  ]);
  append(approval);
  // The pin: a witnessed checkpoint published where neither the appender nor the key holder can write.
  pin = f('pins/trusted.cp');
  const c1 = checkpoint(pin);
  if (c1.status !== 0) throw new Error(`checkpoint: ${c1.stderr}`);
  // A newer plan of the same commit (file Y): applying X is now a stale plan. Cosigned.
  newerPlanSeq = append(planReceipt('b.plan.json', f('y.tfplan')));
  const c2 = checkpoint(f('after-b.cp'));
  if (c2.status !== 0) throw new Error(`checkpoint: ${c2.stderr}`);
});
afterAll(() => {
  for (const w of witnesses) w.kill('SIGTERM');
});

describe('a leaked log key re-signs the witnessed index note without a denying record', () => {
  it('before the attack the gate, reading by proof, denies the older plan file', () => {
    const g = gate();
    expect(g.item('audit ledger').detail).toMatch(/read by proof .*\(tree size 3\).*3 entries of the commit/);
    expect(g.item('approved plan file').detail).toMatch(new RegExp(`entry ${newerPlanSeq} is a newer audit plan`));
    expect({ code: g.code, allowed: g.allowed }).toEqual({ code: 1, allowed: false });
  });

  it('OPEN: the gate reading by proof takes the forged note’s word and allows; every other read refuses', async () => {
    const forged = await forgeIndexWithout(3, newerPlanSeq);
    const g = gate();
    expect(g.item('audit ledger').detail).toMatch(/read by proof .*\(tree size 3\): 2 entries of the commit/);
    // OPEN (docs/sigstore.md, "The checkpoint signer"): this is the gap. Closed, it is false.
    expect(g.allowed).toBe(true);
    // The whole-log read does not use index notes: it sees the newer plan and denies.
    const whole = gate(false);
    expect(whole.allowed).toBe(false);
    expect(whole.item('approved plan file').detail).toMatch(/is a newer audit plan/);
    // The complete check rebuilds every index and names the forged one (exit 3).
    const v = kfm(['audit', 'verify', '--store', store, ...LEDGER_KEYS(), '--approver', `alice=${alice.pub}`]);
    expect(v.status).toBe(3);
    expect(v.stderr).toContain(forged.replace(/.*\//, ''));
    expect(v.stderr).toMatch(new RegExp(`shard [0-9a-f]{2} omits entry ${newerPlanSeq} for commit ${COMMIT}`));
    // The next append's cosign (scripts/cosign.sh: audit checkpoint, a full verify first) refuses to sign.
    writeFileSync(f('c.approval.json'), readFileSync(f('a.approval.json')));
    const next = checkpoint(f('after-attack.cp'));
    expect(next.status).toBe(3);
    expect(next.stderr).toMatch(/omits entry/);
  });

  it('the leaked key makes no record evidence: a plan receipt it signs is not a trusted plan', () => {
    const forgedPlan = f('forged.plan.json');
    ok([
      'receipt',
      'plan',
      PLAN,
      '--env',
      'audit',
      '--key',
      log.key,
      '--out',
      forgedPlan,
      '--plan-file',
      f('x.tfplan'),
      '--policy',
      f('verdict.json'),
      '--author',
      'carol',
      ...PROV,
    ]);
    append(forgedPlan);
    const g = gate(false);
    expect(g.allowed).toBe(false);
    expect(g.item('approved plan file').detail).toMatch(new RegExp(`entry ${newerPlanSeq} is a newer audit plan`));
  });
});

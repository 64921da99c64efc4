/**
 * Issue 24's attacks 4–8 on a directory store, each with only the attacker's access, against one
 * CLI: a denial cut by `| head` (4), junk and tampering in index/ (5), an untrusted envelope and
 * an approval appended before its key was committed (6), `kfm gate evidence` and drift.sh on a
 * ledger that does not verify (7), faults and hostile input (8).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openStore } from '../../ledger/open-store';
import { generateKeyPairPem } from '../../attest/sign/ed25519';
import { RawStore } from '../../__tests__/gates/support/stores';
import { append, appendFrom, Attack, goodLedger, Keys, kfm, ledgerKeyArgs, line, Outcome, Run, sh, Side } from './lib';

const pad = (n: number) => String(n).padStart(12, '0');

/** 4. A stage promotion denied (a dev apply of no plan), made long by 999 re-wrapped copies, read through `| head -1`. */
async function deniedThroughHead(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const spec = raw.newSpec(`${s.label}-epipe`);
  const l = new s.ev.Ledger(s.pin);
  l.apply('dev', `sha256:${'e'.repeat(64)}`);
  const bytes = l.entries[0]!.envelopeBytes;
  append(
    s,
    raw,
    spec,
    join(dir, 'e'),
    Array.from({ length: 1000 }, (_, i) => Buffer.concat([Buffer.from(' '.repeat(i)), bytes])),
  );
  const gate = `$KFM gate promote --to stage --store ${spec} --pub ${k.ciPub} --commit ${s.ev.COMMIT}`;
  const head = sh(s, raw.env, `${gate} | head -1`);
  const plain = kfm(s, raw.env, [
    'gate',
    'promote',
    '--to',
    'stage',
    '--store',
    spec,
    '--pub',
    k.ciPub,
    '--commit',
    s.ev.COMMIT,
  ]);
  const size = Buffer.byteLength(plain.stdout) + Buffer.byteLength(plain.stderr);
  return {
    codes: `plain=${plain.code} "| head -1" under pipefail=${head.code} output=${size} bytes`,
    line: line(plain, /BLOCKED dev apply/),
    holds: plain.code === 1 && head.code === 1 && size < 4000,
  };
}

/** Records naming commit C or D (plan, apply-ok, other, apply-failed, drifted), signed by the CI key. */
function records(s: Side, commits: string[]): Buffer[] {
  return commits.map((c, i) =>
    Buffer.from(
      s.ev.rawSign(
        'https://kfm.example/ledger-test/v1',
        { kind: `k${i}`, nonce: Math.random(), repo: { commit: c } },
        s.ev.ci.signing,
      ).bytes,
    ),
  );
}

/** The side's own index builder and signer (3c7b61c: dist/ledger/index.js; now: log-index-build.js). */
function indexLib(s: Side): { IndexBuilder: any; signIndex: (body: unknown, key: unknown) => Buffer } {
  const rel = s.label === 'old' ? 'dist/ledger/index.js' : 'dist/ledger/log-index-build.js';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(s.root, rel));
}

/** Write an index note of the first `size` entries, signed by the log key, with entry `hide` left out of every shard. */
async function forgeIndex(
  s: Side,
  raw: RawStore,
  spec: string,
  size: number,
  hide: number,
  name: string,
): Promise<void> {
  const { IndexBuilder, signIndex } = indexLib(s);
  const store = openStore(spec, { env: raw.env });
  const b = new IndexBuilder();
  for await (const e of store.entries()) if (e.seq <= size) b.push(e);
  const { body, shardFiles } = b.finish('kfm-infra/audit');
  const shards: Record<string, string> = {};
  const { canonicalJson } = require(join(s.root, 'dist/core/canonical-json.js'));
  const { sha256Tagged } = require(join(s.root, 'dist/core/digest.js'));
  for (const [shard, digest] of Object.entries(body.shards as Record<string, string>)) {
    const obj = JSON.parse(shardFiles.get(`index/shards/${digest.slice(7)}.json`).toString('utf8'));
    for (const c of Object.keys(obj.commits ?? {})) obj.commits[c] = obj.commits[c].filter((x: number) => x !== hide);
    const out = Buffer.from(canonicalJson(obj) + '\n');
    shards[shard] = sha256Tagged(out);
    await raw.put(spec, `index/shards/${shards[shard]!.slice(7)}.json`, out);
  }
  await raw.put(spec, name, signIndex({ ...body, shards }, s.ev.ci.signing));
}

/**
 * 5. Entries for commit C (entry 4: a failed apply) and D; checkpoints (each with its index) at
 * 4 and 5. (a) The newest index note re-signed with entry 4 left out, alone and with junk named
 * to sort last in index/; (b) the older index (4) re-signed the same way.
 */
async function indexJunkAndTamper(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const [C, D] = ['c'.repeat(40), 'd'.repeat(40)];
  const build = async (label: string) => {
    const spec = raw.newSpec(`${s.label}-index-${label}`);
    const recs = records(s, [C, C, D, C, C]);
    append(s, raw, spec, join(dir, 'e'), recs.slice(0, 4));
    const cp = (n: number) =>
      kfm(s, raw.env, [
        'audit',
        'checkpoint',
        '--store',
        spec,
        '--key',
        k.ciKey,
        '--pub',
        k.ciPub,
        '--out',
        join(dir, `${label}-cp${n}.txt`),
      ]);
    if (cp(4).code !== 0) throw new Error('checkpoint 4');
    append(s, raw, spec, join(dir, 'e'), recs.slice(4));
    if (cp(5).code !== 0) throw new Error('checkpoint 5');
    const notes = (await openStore(spec, { env: raw.env }).listDerived('index')).filter((p) =>
      /^index\/\d{12}\.[0-9a-f]{8}\.json$/.test(p),
    );
    return { spec, notes };
  };
  const verify = (spec: string) => kfm(s, raw.env, ['audit', 'verify', '--store', spec, '--pub', k.ciPub]);
  mkdirSync(dir, { recursive: true });
  const a = await build('newest');
  const newest = a.notes.find((p) => p.startsWith(`index/${pad(5)}.`))!;
  await forgeIndex(s, raw, a.spec, 5, 4, newest);
  const tampered = verify(a.spec);
  await raw.put(a.spec, `index/${pad(999999999999)}.ffffffff.json`, Buffer.from('{"junk":true}\n'));
  const withJunk = verify(a.spec);
  const b = await build('older');
  await forgeIndex(s, raw, b.spec, 4, 4, b.notes.find((p) => p.startsWith(`index/${pad(4)}.`))!);
  const older = verify(b.spec);
  return {
    codes: `newest-tampered:verify=${tampered.code} +junk-sorting-last:verify=${withJunk.code} older-tampered:verify=${older.code}`,
    line: `+junk: ${line(withJunk, /LOG_INTEGRITY/, /^ok|verified|kfm: /)} | older: ${line(older, /LOG_INTEGRITY/, /^ok|verified|kfm: /)}`,
    holds: tampered.code === 3 && withJunk.code === 3 && older.code === 3,
  };
}

/** 6a. One envelope signed by a key nobody trusts, appended by the appender: verify, cosign and the gate. */
async function untrustedEnvelope(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const spec = raw.newSpec(`${s.label}-untrusted`);
  const l = goodLedger(s);
  l.add('https://example.com/junk', { x: 1 }, s.ev.stranger.signing);
  appendFrom(s, raw, spec, join(dir, 'e'), l);
  const v = kfm(s, raw.env, ['audit', 'verify', '--store', spec, ...ledgerKeyArgs(s, k)]);
  const c = kfm(s, raw.env, [
    'audit',
    'checkpoint',
    '--store',
    spec,
    '--key',
    k.ciKey,
    ...ledgerKeyArgs(s, k),
    '--out',
    join(dir, 'cp.txt'),
  ]);
  const g = kfm(s, raw.env, [
    'gate',
    'promote',
    '--to',
    'prod',
    '--store',
    spec,
    '--pub',
    k.ciPub,
    '--approver',
    `reviewer=${k.reviewerPub}`,
    '--commit',
    s.ev.COMMIT,
  ]);
  return {
    codes: `verify=${v.code} checkpoint=${c.code} gate=${g.code}`,
    line: line(v, /LOG_INTEGRITY|note: junk/, /kfm: /),
    holds: v.code === 0 && c.code === 0 && g.code === 0,
  };
}

/**
 * 6b. A genuine prod approval by carol, appended before carol's key was committed: verify and the
 * cosign step as the scripts ran them then (no key for carol), then the gate once her key is given.
 */
async function lateApproverKey(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const spec = raw.newSpec(`${s.label}-late-key`);
  const late = generateKeyPairPem();
  mkdirSync(dir, { recursive: true });
  const latePub = join(dir, 'carol.pub');
  writeFileSync(latePub, late.publicPem);
  const { parseSigningKey } = require(join(s.root, 'dist/attest/sign/ed25519.js'));
  const l = new s.ev.Ledger(s.pin);
  l.provenTier('dev');
  l.provenTier('stage');
  l.approve(l.plan('prod'), 'carol', parseSigningKey(late.privatePem, 'carol'));
  appendFrom(s, raw, spec, join(dir, 'e'), l);
  const before = kfm(s, raw.env, ['audit', 'verify', '--store', spec, ...ledgerKeyArgs(s, k)]);
  const cp = kfm(s, raw.env, [
    'audit',
    'checkpoint',
    '--store',
    spec,
    '--key',
    k.ciKey,
    ...ledgerKeyArgs(s, k),
    '--out',
    join(dir, 'cp.txt'),
  ]);
  const g = kfm(s, raw.env, [
    'gate',
    'promote',
    '--to',
    'prod',
    '--store',
    spec,
    '--pub',
    k.ciPub,
    '--approver',
    `carol=${latePub}`,
    '--commit',
    s.ev.COMMIT,
  ]);
  // Once carol's key is committed the scripts pass it (3c7b61c: as --pub; now: as --approver).
  const keyArgs = s.label === 'old' ? ['--pub', latePub] : ['--approver', `carol=${latePub}`];
  const after = kfm(s, raw.env, ['audit', 'verify', '--store', spec, ...ledgerKeyArgs(s, k), ...keyArgs]);
  return {
    codes: `verify-before-key=${before.code} cosign-before-key=${cp.code} verify-after-key=${after.code} gate-with-key=${g.code}`,
    line: `${line(before, /LOG_INTEGRITY|note: junk/, /kfm: /)} | gate: ${line(g, /BLOCKED|^ok +prod approval|kfm: /)}`,
    holds: before.code === 0 && cp.code === 0 && after.code === 0 && g.code === 0,
  };
}

/** A directory store whose first entry was altered after it was appended (a flipped byte), with an entry after it. */
function damagedStore(s: Side, raw: RawStore, dir: string): string {
  const spec = raw.newSpec(`${s.label}-damaged`);
  const l = new s.ev.Ledger(s.pin);
  l.apply('dev', `sha256:${'e'.repeat(64)}`);
  l.apply('dev', `sha256:${'d'.repeat(64)}`);
  appendFrom(s, raw, spec, join(dir, 'e'), l);
  const path = join(spec, 'entries', `${pad(1)}.json`);
  const bytes = readFileSync(path);
  bytes[bytes.length - 30]! ^= 1;
  chmodSync(path, 0o644);
  writeFileSync(path, bytes);
  return spec;
}

/** drift.sh's binding step, cut from the side's own scripts/drift.sh and run as it runs there. */
function driftBinding(s: Side, raw: RawStore, spec: string, k: Keys, dir: string): Run {
  const text = readFileSync(join(s.root, 'scripts', 'drift.sh'), 'utf8').split('\n');
  const from = text.findIndex((x) => x.startsWith('# The gates count a drift report'));
  const to = text.findIndex((x, i) => i > from && /^(fi|mapfile -t bind < )/.test(x));
  const step = text.slice(from, to + 1).join('\n');
  return sh(
    s,
    {
      ...raw.env,
      KFM_AUDIT_STORE: spec,
      KFM_PUB: k.ciPub,
      KFM_APPROVERS_DIR: join(dir, 'none'),
      KFM_STATE_DIR: join(dir, 'state'),
      KFM_WITNESSES: '',
      KFM_CHECKPOINTS: '',
      TMPDIR: dir,
    },
    `root=${s.root}; . scripts/lib/kfm-env.sh; env_name=dev; work=$(mktemp -d); ${step}\necho "drift.sh: would now sign the drift report with: \${bind[*]:-no binding}"`,
  );
}

/** 7. `kfm gate evidence` and drift.sh's binding step on a ledger that does not verify. */
async function evidenceOnBadLedger(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  mkdirSync(dir, { recursive: true });
  const spec = damagedStore(s, raw, dir);
  const e = kfm(s, raw.env, [
    'gate',
    'evidence',
    '--kind',
    'apply',
    '--env',
    'dev',
    '--store',
    spec,
    '--pub',
    k.ciPub,
    '--out',
    join(dir, 'a.json'),
  ]);
  const d = driftBinding(s, raw, spec, k, dir);
  return {
    codes: `gate-evidence=${e.code} drift.sh-binding=${d.code}`,
    line: `${line(e, /kfm: |no trusted|LOG_INTEGRITY/)} | drift.sh: ${line(d, /drift\.sh: /)}`,
    holds: e.code === 3 && d.code === 3,
  };
}

/** A store of two CI records, made by the side's CLI. */
function smallStore(s: Side, raw: RawStore, dir: string, label: string, at?: string): string {
  const spec = at ?? raw.newSpec(`${s.label}-${label}`);
  append(s, raw, spec, join(dir, 'e'), records(s, ['c'.repeat(40), 'd'.repeat(40)]));
  return spec;
}

/** 8a/8b. A FIFO, and a symbolic link to /dev/zero, placed where entry 3 goes: verify and append, bounded at 20 s. */
async function nonRegularFiles(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const fifo = smallStore(s, raw, dir, 'fifo');
  spawnSync('mkfifo', [join(fifo, 'entries', `${pad(3)}.json`)]);
  const vf = kfm(s, raw.env, ['audit', 'verify', '--store', fifo, '--pub', k.ciPub], 20_000);
  const af = kfm(
    s,
    raw.env,
    [
      'audit',
      'append',
      ...records(s, ['e'.repeat(40)]).map((b, i) => {
        const p = join(dir, `x${i}.json`);
        writeFileSync(p, b);
        return p;
      }),
      '--store',
      fifo,
    ],
    20_000,
  );
  const zero = smallStore(s, raw, dir, 'zero');
  symlinkSync('/dev/zero', join(zero, 'entries', `${pad(3)}.json`));
  const vz = kfm(s, raw.env, ['audit', 'verify', '--store', zero, '--pub', k.ciPub], 20_000);
  return {
    codes: `fifo:verify=${vf.code} fifo:append=${af.code} /dev/zero-link:verify=${vz.code}`,
    line: `fifo: ${line(vf, /note: junk|kfm: /)} | link: ${line(vz, /note: junk|kfm: /)}`,
    holds: [vf.code, vz.code].every((c) => c === 0) && af.code === 2,
  };
}

/** 8c. A full disk (a 256 KiB tmpfs, filled), a read-only file system (remounted ro), a store under a plain file. */
async function fileSystemErrors(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  mkdirSync(dir, { recursive: true });
  const mount = (size: string) => {
    const at = join(dir, `mnt-${size}`);
    mkdirSync(at);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]).status !== 0)
      throw new Error('mount tmpfs needs root');
    return at;
  };
  const one = (name: string) => {
    const p = join(dir, name);
    writeFileSync(p, records(s, ['f'.repeat(40)])[0]!);
    return p;
  };
  const results: [string, Run][] = [];
  const full = mount('256k');
  const ro = mount('1m');
  try {
    const fs1 = smallStore(s, raw, dir, 'full', join(full, 'audit'));
    spawnSync('bash', ['-c', `dd if=/dev/zero of=${join(full, 'fill')} bs=4k 2>/dev/null || true`]);
    results.push(['disk-full', kfm(s, raw.env, ['audit', 'append', one('f1.json'), '--store', fs1])]);
    const fs2 = smallStore(s, raw, dir, 'ro', join(ro, 'audit'));
    spawnSync('mount', ['-o', 'remount,ro', ro]);
    results.push(['read-only', kfm(s, raw.env, ['audit', 'append', one('f2.json'), '--store', fs2])]);
  } finally {
    spawnSync('umount', ['-l', full]);
    spawnSync('umount', ['-l', ro]);
  }
  writeFileSync(join(dir, 'plain-file'), 'x');
  const init = s.label === 'new' ? ['--init'] : []; // 3c7b61c created a missing store on the first append
  results.push([
    'store-under-a-file',
    kfm(s, raw.env, ['audit', 'append', ...init, one('f3.json'), '--store', join(dir, 'plain-file', 'audit')]),
  ]);
  return {
    codes: results.map(([n, r]) => `${n}=${r.code}`).join(' '),
    line: results.map(([n, r]) => `${n}: ${line(r, /kfm: /)}`).join(' | '),
    holds: results.every(([, r]) => r.code !== 0 && !/INTERNAL|bug in kfm/.test(r.stderr)),
  };
}

/** 8d. A plan with a key given twice, invalid UTF-8 in a string, a 70,000-character provider_name: `kfm receipt plan`. */
async function hostilePlans(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  mkdirSync(dir, { recursive: true });
  const real = readFileSync(
    join(s.root, '__tests__/fixtures/receipts/generated/delete-only/1-create.show-plan.json'),
    'utf8',
  );
  const at = real.indexOf('"terraform_version":"') + '"terraform_version":"'.length;
  const cases: [string, Buffer][] = [
    [
      'duplicate-key',
      Buffer.from(real.replace('"format_version":"1.2"', '"format_version":"1.2","format_version":"1.1"')),
    ],
    [
      'invalid-utf8',
      Buffer.concat([Buffer.from(real.slice(0, at)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(real.slice(at))]),
    ],
    [
      'long-provider_name',
      Buffer.from(
        real.replace(/"provider_name":"([^"]*)"/, (_m, p: string) => `"provider_name":"${p}${'x'.repeat(70_000)}"`),
      ),
    ],
  ];
  const runs = cases.map(([name, bytes]): [string, Run] => {
    const p = join(dir, `${name}.json`);
    writeFileSync(p, bytes);
    const prov = [
      '--commit',
      '0123456789abcdef0123456789abcdef01234567',
      '--branch',
      'main',
      '--actor',
      'ci-bot',
      '--method',
      'ci',
    ];
    return [
      name,
      kfm(s, raw.env, [
        'receipt',
        'plan',
        p,
        '--env',
        'dev',
        '--key',
        k.ciKey,
        '--out',
        join(dir, `${name}.r.json`),
        ...prov,
      ]),
    ];
  });
  return {
    codes: runs.map(([n, r]) => `${n}=${r.code}`).join(' '),
    line: runs.map(([n, r]) => `${n}: ${line(r, /kfm: |RECEIPT|receipt/)}`).join(' | '),
    holds: runs.every(([, r]) => r.code === 2),
  };
}

/**
 * 8d. An S3 endpoint that accepts connections and never answers (what a paused radosgw looks like):
 * `audit append` and `audit verify`, bounded at 45 s here. Now with KFM_S3_TIMEOUT_MS=1000 and
 * KFM_S3_MAX_ATTEMPTS=2 (3c7b61c read neither).
 */
async function silentS3(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  mkdirSync(dir, { recursive: true });
  const held: import('node:net').Socket[] = [];
  const server = createServer((c) => held.push(c));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  const env = {
    ...raw.env,
    AWS_ACCESS_KEY_ID: 'fault-test',
    AWS_SECRET_ACCESS_KEY: 'fault-test-secret',
    AWS_REGION: 'us-east-1',
    KFM_S3_TIMEOUT_MS: '1000',
    KFM_S3_MAX_ATTEMPTS: '2',
  };
  const file = join(dir, 'e.json');
  writeFileSync(file, records(s, ['c'.repeat(40)])[0]!);
  const store = ['--store', 's3://kfm-fault-test/x', '--endpoint', `http://127.0.0.1:${port}`];
  try {
    // The kernel completes the connection (listen backlog) while spawnSync blocks this process: a black hole.
    const a = kfm(s, env, ['audit', 'append', ...(s.label === 'new' ? ['--init'] : []), file, ...store], 45_000);
    const v = kfm(s, env, ['audit', 'verify', ...store, '--pub', k.ciPub], 45_000);
    return {
      codes: `append=${a.code} verify=${v.code}`,
      line: `append: ${line(a, /kfm: /)} | verify: ${line(v, /kfm: /)}`,
      holds: a.code === 4 && v.code === 4,
    };
  } finally {
    held.forEach((c) => c.destroy());
    server.close();
  }
}

export const LEDGER_ATTACKS: Attack[] = [
  {
    id: '4',
    title: 'denied gate piped to `head -1` under pipefail, 1,000 re-wrapped copies listed',
    s3: false,
    run: deniedThroughHead,
  },
  {
    id: '5',
    title: 'index/: tampered newest index + junk sorting last; tampered older index',
    s3: false,
    run: indexJunkAndTamper,
  },
  { id: '6a', title: 'one envelope signed by an untrusted key appended', s3: true, run: untrustedEnvelope },
  { id: '6b', title: 'approval appended before its approver key was committed', s3: true, run: lateApproverKey },
  {
    id: '7',
    title: '`kfm gate evidence` and drift.sh on a ledger that fails verification',
    s3: false,
    run: evidenceOnBadLedger,
  },
  { id: '8a', title: 'FIFO / symlink to /dev/zero where the next entry goes', s3: false, run: nonRegularFiles },
  {
    id: '8b',
    title: 'disk full, read-only file system, store path under a plain file',
    s3: false,
    run: fileSystemErrors,
  },
  {
    id: '8c',
    title: 'plan JSON: duplicate key, invalid UTF-8, 70,000-character provider_name',
    s3: false,
    run: hostilePlans,
  },
  {
    id: '8d',
    title: 'an S3 endpoint that never answers (a paused radosgw): append and verify',
    s3: false,
    store: 'S3 endpoint that never answers',
    run: silentS3,
  },
];

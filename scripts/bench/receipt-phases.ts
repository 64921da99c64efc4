/**
 * Where `kfm receipt plan` spends its time, per phase, in CPU milliseconds (process.cpuUsage:
 * steadier than wall time on a shared machine) and minor page faults (memory touched for the first
 * time), on the generated AWS plans
 * (scripts/fixtures/bench-aws-plan.ts) or on KFM_BENCH_PLAN_FILES. One cold pass per plan in a
 * process of its own, the steps the CLI takes in its order. Run: `npm run bench receipt-phases`.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureAwsPlan } from '../fixtures/bench-aws-plan';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One cold pass over `file`: the modules are loaded where the CLI loads them. */
function phases(file: string, out: string): Record<string, unknown> {
  const ms: Record<string, number> = {};
  const faults: Record<string, number> = {};
  let last = cpuMs();
  let lastFaults = process.resourceUsage().minorPageFault;
  const mark = (name: string): void => {
    const now = cpuMs();
    const f = process.resourceUsage().minorPageFault;
    ms[`${name}_ms`] = +(now - last).toFixed(0);
    faults[name] = f - lastFaults;
    last = now;
    lastFaults = f;
  };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const files = require('../../core/files') as typeof import('../../core/files');
  const plan = require('../../terraform/plan') as typeof import('../../terraform/plan');
  const exact = require('../../core/exact-json') as typeof import('../../core/exact-json');
  const shape = require('../../core/json-shape') as typeof import('../../core/json-shape');
  mark('load_parse_modules');
  // As readPlanDocument reads a plan: in pieces, hashed on the way (an ASCII plan of 4 MiB or more).
  const input = files.readDigestedInput(file, 'plan JSON', plan.MAX_INPUT_BYTES);
  mark('read_and_hash');
  const text = plan.decodeJsonText(input.ascii ?? input.bytes!, file, 'plan JSON');
  mark('decode');
  const raw = exact.parseJsonNumbersExact(text);
  mark('json_parse');
  shape.checkJsonShapeOf(text, raw, file, 'plan JSON');
  mark('shape_check');
  const doc = plan.planFromValue(raw, file);
  mark('plan_model');
  const { buildPlanStatement } =
    require('../../receipts/plan/build-plan-receipt') as typeof import('../../receipts/plan/build-plan-receipt');
  const { writeSignedStatement } = require('../../attest/statement') as typeof import('../../attest/statement');
  const { keyIdOf } = require('../../attest/sign/ed25519') as typeof import('../../attest/sign/ed25519');
  const { deriveCommitmentKey } =
    require('../../receipts/redact/commitment') as typeof import('../../receipts/redact/commitment');
  const { resolveRepo, resolveActor } =
    require('../../receipts/provenance') as typeof import('../../receipts/provenance');
  const { exposureChanges } = require('../../policy/engine/exposure') as typeof import('../../policy/engine/exposure');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signing = { privateKey, publicKey, keyid: keyIdOf(publicKey) };
  const ctx = {
    env: 'dev',
    repo: resolveRepo({ commit: '0123456789abcdef0123456789abcdef01234567', branch: 'main' }, {}, process.cwd()),
    actor: resolveActor({ actor: 'bench', method: 'ci' }, {}),
    commitmentKey: deriveCommitmentKey(privateKey),
  };
  mark('load_signing_modules_and_keys');
  // The CLI records the policy pack's exposure facts in the receipt (cli/commands/receipt/plan.ts).
  const exposure = exposureChanges(doc.resource_changes);
  mark('exposure_view');
  const statement = buildPlanStatement(
    doc,
    file,
    { planJsonName: 'plan.json', planJsonDigest: input.digest },
    ctx,
    null,
    exposure,
  );
  mark('change_records');
  writeSignedStatement(statement, signing, out);
  mark('validate_canonical_sign_write');
  return {
    bench: 'receipt-phases',
    resources: doc.resource_changes.length,
    ...ms,
    // First touches of memory: on a VM whose page faults are dear (about 14 us each on the bench
    // machine) they are a good part of the time, and the bare parse pays its own too.
    page_faults: faults,
    receipt_bytes: statSync(out).size,
  };
}

if (process.argv[2] === '--one') {
  const dir = mkdtempSync(join(tmpdir(), 'kfm-receipt-phases-'));
  try {
    process.stdout.write(JSON.stringify(phases(process.argv[3]!, join(dir, 'receipt.json'))) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const files = process.env.KFM_BENCH_PLAN_FILES?.split(',').map((f) => resolve(f)) ?? [
    ensureAwsPlan(1000),
    ensureAwsPlan(10000),
  ];
  for (const f of files) {
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--one', f], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`receipt-phases: ${f}: ${r.stderr.slice(-400)}`);
    process.stdout.write(r.stdout);
  }
}

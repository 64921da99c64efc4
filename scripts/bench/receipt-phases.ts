/**
 * Where `kfm receipt plan` spends its time, per phase, in CPU milliseconds (process.cpuUsage:
 * steadier than wall time on a shared machine), on the generated AWS plans
 * (scripts/fixtures/bench-aws-plan.ts) or on KFM_BENCH_PLAN_FILES. One cold pass per plan in a
 * process of its own, the steps the CLI takes in its order. Run: `npm run bench receipt-phases`.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureAwsPlan } from '../fixtures/bench-aws-plan';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One cold pass over `file`: the modules are loaded where the CLI loads them. */
function phases(file: string): Record<string, unknown> {
  const ms: Record<string, number> = {};
  let last = cpuMs();
  const mark = (name: string): void => {
    const now = cpuMs();
    ms[name] = +(now - last).toFixed(0);
    last = now;
  };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { sha256Tagged } = require('../../core/digest') as typeof import('../../core/digest');
  const plan = require('../../terraform/plan') as typeof import('../../terraform/plan');
  const exact = require('../../core/exact-json') as typeof import('../../core/exact-json');
  const shape = require('../../core/json-shape') as typeof import('../../core/json-shape');
  mark('load_parse_modules_ms');
  const bytes = readFileSync(file);
  mark('read_ms');
  const digest = sha256Tagged(bytes);
  mark('hash_ms');
  const text = plan.decodeJsonText(bytes, file, 'plan JSON');
  mark('decode_ms');
  const raw = exact.parseJsonNumbersExact(text);
  mark('json_parse_ms');
  shape.checkJsonShapeOf(text, raw, file, 'plan JSON');
  mark('shape_check_ms');
  const doc = plan.planFromValue(raw, file);
  mark('plan_model_ms');
  const { buildPlanStatement } =
    require('../../receipts/plan/build-plan-receipt') as typeof import('../../receipts/plan/build-plan-receipt');
  const { signStatement } = require('../../attest/statement') as typeof import('../../attest/statement');
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
  mark('load_signing_modules_and_keys_ms');
  // The CLI records the policy pack's exposure facts in the receipt (cli/commands/receipt/plan.ts).
  const exposure = exposureChanges(doc.resource_changes);
  mark('exposure_view_ms');
  const statement = buildPlanStatement(
    doc,
    file,
    { planJsonName: 'plan.json', planJsonDigest: digest },
    ctx,
    null,
    exposure,
  );
  mark('change_records_ms');
  const { bytes: envelope } = signStatement(statement, signing);
  mark('validate_canonical_sign_ms');
  return { bench: 'receipt-phases', resources: doc.resource_changes.length, ...ms, receipt_bytes: envelope.length };
}

if (process.argv[2] === '--one') {
  process.stdout.write(JSON.stringify(phases(process.argv[3]!)) + '\n');
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

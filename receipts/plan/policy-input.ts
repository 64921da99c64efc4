import { ReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { parseJsonNoEcho, isObject } from '../../core/json';

/** The policy decisions slot of a plan receipt (from `kfm policy check --plan PLAN_JSON --env ENV --json`). */
export interface PolicyDecisions {
  readonly bundle_digest: string;
  readonly rules: number;
  readonly evaluated: number;
  readonly verdict: 'pass' | 'fail';
  readonly findings: PolicyFinding[];
  readonly suppressed: unknown[];
  /** sha256 of the policy JSON file bytes given with --policy. */
  readonly input_digest: string;
  /** What the decision judged: the plan JSON (its digest) and the env (prod-only rules apply to prod). */
  readonly input: { readonly kind: 'plan'; readonly digest: string; readonly env: string };
  /**
   * Added, optional: the installation the decision was judged for (cdktf.json's kfm:namePrefix and
   * kfm:repository, which resolve the policy pack's declared facts; core/installation.ts), as
   * `kfm policy check --json` reports it. Absent when the decision does not say (older output), so
   * such receipts keep their bytes.
   */
  readonly installation?: { readonly namePrefix: string; readonly repository: string };
}

/** The plan and env a policy decision must have been made for. */
export interface PolicyBinding {
  readonly planDigest: string;
  readonly env: string;
}

export interface PolicyFinding {
  readonly rule: string;
  readonly severity: string;
  readonly address: string;
  readonly message: string;
  readonly remediation: string;
}

/** Parse and check the shape of `kfm policy check --json` output; fail closed on anything else. */
export function parsePolicyDecisions(data: Buffer, source: string, bind: PolicyBinding): PolicyDecisions {
  const raw = parseJsonNoEcho(data.toString('utf8'), source, 'policy check JSON');
  const bad = (field: string, want: string): never => {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: ${field} missing or invalid; expected ${want} (the stdout of "kfm policy check --plan PLAN_JSON --env ENV --json")`,
    );
  };
  if (!isObject(raw)) return bad('top level', 'an object');
  const bundle = raw.bundle;
  if (!isObject(bundle)) return bad('bundle', 'an object');
  if (typeof bundle.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(bundle.digest))
    return bad('bundle.digest', '"sha256:<64 hex>"');
  if (!Number.isInteger(bundle.rules) || (bundle.rules as number) < 0)
    return bad('bundle.rules', 'a non-negative integer');
  if (!Number.isInteger(raw.evaluated) || (raw.evaluated as number) < 0)
    return bad('evaluated', 'a non-negative integer');
  if (raw.verdict !== 'pass' && raw.verdict !== 'fail') return bad('verdict', '"pass" or "fail"');
  if (!Array.isArray(raw.findings)) return bad('findings', 'an array');
  const findings = raw.findings.map((f, i) => {
    if (!isObject(f)) return bad(`findings[${i}]`, 'an object');
    for (const k of ['rule', 'severity', 'address', 'message', 'remediation'])
      if (typeof f[k] !== 'string') bad(`findings[${i}].${k}`, 'a string');
    return {
      rule: f.rule,
      severity: f.severity,
      address: f.address,
      message: f.message,
      remediation: f.remediation,
    } as PolicyFinding;
  });
  if (!Array.isArray(raw.suppressed)) return bad('suppressed', 'an array');
  const input = raw.input;
  if (!isObject(input)) return bad('input', 'an object naming the judged plan');
  const mismatch = (field: string, want: string): never => {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: ${field} does not match this receipt (${want}); run "kfm policy check --plan PLAN_JSON --env ENV --json" on this plan`,
    );
  };
  if (input.kind !== 'plan') return mismatch('input.kind', 'the decision must judge a plan, not a synth');
  if (input.digest !== bind.planDigest) return mismatch('input.digest', 'it judged another plan JSON');
  if (input.env !== bind.env) return mismatch('input.env', `it was made for another env than ${bind.env}`);
  const inst = raw.installation;
  if (inst !== undefined) {
    if (!isObject(inst)) return bad('installation', 'an object {namePrefix, repository}');
    for (const k of ['namePrefix', 'repository'])
      if (typeof inst[k] !== 'string' || inst[k] === '') bad(`installation.${k}`, 'a non-empty string');
  }
  return {
    bundle_digest: bundle.digest,
    rules: bundle.rules as number,
    evaluated: raw.evaluated as number,
    verdict: raw.verdict,
    findings,
    suppressed: raw.suppressed,
    input_digest: sha256Tagged(data),
    input: { kind: 'plan', digest: bind.planDigest, env: bind.env },
    ...(isObject(inst)
      ? { installation: { namePrefix: inst.namePrefix as string, repository: inst.repository as string } }
      : {}),
  };
}

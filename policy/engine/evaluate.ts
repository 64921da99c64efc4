import { canonicalJson } from '../../core/canonical-json';
import { Outcome, PolicyEnv, PolicyRule, RuleContext, Severity } from './rule';
import { Suppression, SuppressionFile, addressMatches, isExpired } from './suppressions';
import { PolicyInput, ResourceView } from './view';
import { Linker } from './link';
import { declarationsFor, Declarations, DeclarationsFile } from './declarations';
import { Installation } from '../../core/installation';

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly address: string;
  /** Names attributes and addresses only; never quotes a configured value that could be secret. */
  readonly message: string;
  readonly remediation: string;
}

export interface SuppressedFinding extends Finding {
  readonly suppression: Suppression;
}

export interface PolicyResult {
  readonly bundle: { readonly digest: string; readonly rules: number };
  /** Number of (rule, resource) judgements made; 0 fails the check. */
  readonly evaluated: number;
  readonly findings: readonly Finding[];
  readonly suppressed: readonly SuppressedFinding[];
  readonly verdict: 'pass' | 'fail';
}

export interface EvaluateOptions {
  readonly rules: readonly PolicyRule[];
  readonly suppressions: SuppressionFile;
  readonly bundle: { readonly digest: string; readonly rules: number };
  /** The only clock the policy reads: decides whether a suppression has expired. */
  readonly now: Date;
  readonly env?: PolicyEnv;
  /**
   * The installation whose declared facts (external-resources.json placeholders) apply.
   * @default - DEFAULT_INSTALLATION (core/installation.ts)
   */
  readonly installation?: Installation;
  /**
   * What the platform declares, instead of the committed policy/config/external-resources.json (the
   * caller's bundle digest must then cover it: policy/check.ts does). @default - the committed file
   */
  readonly declarations?: DeclarationsFile;
}

/** Findings about the check itself (fail-closed guards), not about a resource. */
export const META_RULES = {
  noResources: 'kfm-policy-no-resources',
  nothingEvaluated: 'kfm-policy-nothing-evaluated',
  suppressionExpired: 'kfm-policy-suppression-expired',
  ruleFailed: 'kfm-policy-rule-failed',
  /** The plan reader cannot vouch for the plan (unknown action, errored, not applyable, incomplete). */
  planUntrusted: 'kfm-policy-plan-untrusted',
} as const;

/**
 * `ofType` over an index built once: rules ask for types inside loops (default encryption per
 * instance), and a filter over every resource per call made a 10,000-resource plan quadratic.
 * Same lists as the filter: managed resources of the types, in input (address) order, a fresh
 * array each call.
 */
function typeIndex(resources: readonly ResourceView[]): (...types: string[]) => ResourceView[] {
  // Per type, the resources and their positions in the input (no map of every resource's position).
  const byType = new Map<string, { views: ResourceView[]; at: number[] }>();
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    if (r.mode !== 'managed') continue;
    const list = byType.get(r.type);
    if (list) {
      list.views.push(r);
      list.at.push(i);
    } else byType.set(r.type, { views: [r], at: [i] });
  }
  return (...types) => {
    const lists = [...new Set(types)].flatMap((t) => byType.get(t) ?? []);
    if (lists.length === 0) return [];
    if (lists.length === 1) return [...lists[0]!.views];
    return mergeByPosition(lists);
  };
}

/** Lists each in input order, merged into one in input order. */
function mergeByPosition(
  lists: ReadonlyArray<{ views: readonly ResourceView[]; at: readonly number[] }>,
): ResourceView[] {
  const out: ResourceView[] = [];
  const next = lists.map(() => 0);
  for (;;) {
    let pick = -1;
    for (let l = 0; l < lists.length; l++) {
      const i = next[l]!;
      if (i < lists[l]!.at.length && (pick < 0 || lists[l]!.at[i]! < lists[pick]!.at[next[pick]!]!)) pick = l;
    }
    if (pick < 0) return out;
    out.push(lists[pick]!.views[next[pick]!]!);
    next[pick]!++;
  }
}

function makeContext(
  input: PolicyInput,
  rules: readonly PolicyRule[],
  env: PolicyEnv | undefined,
  declared: Declarations,
): RuleContext {
  const linker = new Linker(input.resources);
  // An address names its resource; a configuration address (no instance key) its first instance.
  const byConfigAddress = new Map<string, ResourceView>();
  for (const r of input.resources)
    if (r.configAddress !== r.address && !byConfigAddress.has(r.configAddress)) byConfigAddress.set(r.configAddress, r);
  const linkedCache = new Map<string, Map<string, ResourceView[]>>();
  const targetKeys = ['id', 'bucket', 'name', 'arn'];
  const ofType = typeIndex(input.resources);
  return {
    input,
    env,
    declared,
    ofType,
    byAddress: (a) => linker.resource(a) ?? byConfigAddress.get(a),
    link: (anc, attr, types, keys = targetKeys) => linker.link(anc, attr, types, keys),
    referenced: (r, attr, types) => linker.referenced(r, attr, types),
    linked: (target, type, attr = 'bucket') => {
      // Each ancillary is linked once per (type, attribute, target type), not once per target.
      const key = `${type}\u0000${attr}\u0000${target.type}`;
      let byTarget = linkedCache.get(key);
      if (!byTarget) {
        byTarget = new Map();
        for (const c of ofType(type)) {
          const l = linker.link(c, attr, [target.type], targetKeys);
          if (l.kind !== 'target') continue;
          const list = byTarget.get(l.target.address);
          if (list) list.push(c);
          else byTarget.set(l.target.address, [c]);
        }
        linkedCache.set(key, byTarget);
      }
      return byTarget.get(target.address) ?? [];
    },
    coveredTypes: new Set(rules.flatMap((r) => r.covers ?? [])),
  };
}

/** Findings once each, by (rule, address, message); each key is written once, not once per comparison. */
function sortFindings<T extends Finding>(fs: T[]): T[] {
  const seen = new Set<string>();
  const keyed: { key: string; f: T }[] = [];
  for (const f of fs) {
    const key = canonicalJson([f.rule, f.address, f.message]);
    if (seen.has(key)) continue;
    seen.add(key);
    keyed.push({ key, f });
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((x) => x.f);
}

/** Run every rule; a rule that throws is itself a finding (the check fails closed). */
function runRules(ctx: RuleContext, rules: readonly PolicyRule[]): { raw: Finding[]; evaluated: number } {
  const raw: Finding[] = [];
  let evaluated = 0;
  for (const rule of rules) {
    let outcomes: Outcome[];
    try {
      outcomes = rule.evaluate(ctx);
    } catch (e) {
      raw.push({
        rule: META_RULES.ruleFailed,
        severity: 'error',
        address: '(configuration)',
        message: `rule ${rule.id} failed to evaluate (${(e as Error)?.name ?? 'error'}); nothing it checks can be trusted`,
        remediation: 'Fix the rule or report the input that breaks it; the check fails closed until then.',
      });
      continue;
    }
    evaluated += outcomes.length;
    for (const o of outcomes) {
      if (!o.compliant)
        raw.push({
          rule: rule.id,
          severity: o.severity ?? rule.severity,
          address: o.address,
          message: o.message,
          remediation: rule.remediation,
        });
    }
  }
  return { raw, evaluated };
}

/** A check that judged nothing, or an input with nothing in it, is never a pass. */
function emptinessFindings(input: PolicyInput, evaluated: number): Finding[] {
  const out: Finding[] = [];
  // A plan that deletes the last resources (a destroy, or a rollback) is judged on what will exist
  // after it: nothing, which no rule objects to. Neither resources nor deletions stays a failure.
  const deletes = input.plan?.deletes.length ?? 0;
  if (input.resources.length === 0 && deletes === 0) {
    out.push({
      rule: META_RULES.noResources,
      severity: 'error',
      address: '(configuration)',
      message: `${input.origin} declares no resources; an empty configuration is never a pass`,
      remediation: 'Check that the right stack or plan file was given.',
    });
  }
  if (evaluated === 0 && !(input.resources.length === 0 && deletes > 0)) {
    out.push({
      rule: META_RULES.nothingEvaluated,
      severity: 'error',
      address: '(configuration)',
      message: 'no rule applied to any resource; a check that judged nothing is never a pass',
      remediation: 'Check that the input holds the resources the pack governs and that the pack is not empty.',
    });
  }
  return out;
}

/** Distrust of the plan itself: never suppressible, no suppression can vouch for an input. */
function distrustFindings(input: PolicyInput): Finding[] {
  return (input.plan?.distrust ?? []).map((d) => ({
    rule: META_RULES.planUntrusted,
    severity: 'error',
    address: d.address,
    message: `plan not trusted (${d.reason}): ${d.message}`,
    remediation:
      d.reason === 'unknown-action'
        ? 'Upgrade kfm if Terraform added an action, or check the plan file was not edited.'
        : d.reason === 'no-configuration'
          ? 'Pass the full output of "terraform show -json PLANFILE", not a trimmed copy.'
          : 'Fix the plan (errors, deferred changes, nothing to apply) and plan again; only a complete, applyable plan can pass.',
  }));
}

/** Each expired suppression is an error of its own (a suppression does not outlive its review). */
function expiredFindings(suppressions: SuppressionFile, now: Date): Finding[] {
  return suppressions.suppressions
    .filter((s) => isExpired(s, now))
    .map((s) => ({
      rule: META_RULES.suppressionExpired,
      severity: 'error',
      address: s.address,
      message: `suppression of ${s.rule} owned by ${s.owner} expired on ${s.expires}`,
      remediation: 'Fix the finding, or renew the suppression with a new expiry and a reason, reviewed in a PR.',
    }));
}

/** Split findings into those a live suppression covers and those that stand. */
function applySuppressions(raw: readonly Finding[], suppressions: SuppressionFile, now: Date) {
  const live = suppressions.suppressions.filter((s) => !isExpired(s, now));
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of raw) {
    const s = live.find((x) => x.rule === f.rule && addressMatches(x.address, f.address));
    if (s) suppressed.push({ ...f, suppression: s });
    else findings.push(f);
  }
  return { findings, suppressed };
}

/** Judge one view with a pack. Pure: no files, env or wall clock (`now` is passed in). */
export function evaluatePolicy(input: PolicyInput, opts: EvaluateOptions): PolicyResult {
  const { raw, evaluated } = runRules(
    makeContext(input, opts.rules, opts.env, declarationsFor(opts.installation, opts.declarations)),
    opts.rules,
  );
  const judged = applySuppressions([...raw, ...emptinessFindings(input, evaluated)], opts.suppressions, opts.now);
  const findings = sortFindings([
    ...distrustFindings(input),
    ...expiredFindings(opts.suppressions, opts.now),
    ...judged.findings,
  ]);
  return {
    bundle: opts.bundle,
    evaluated,
    findings,
    suppressed: sortFindings(judged.suppressed),
    verdict: findings.some((f) => f.severity === 'error') ? 'fail' : 'pass',
  };
}

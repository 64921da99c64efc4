import * as fs from 'fs';
import * as path from 'path';
import type {
  ApplyReceiptPredicate,
  ApprovalPredicate,
  DriftReceiptPredicate,
  PlanReceiptPredicate,
  PromotionManifestPredicate,
  ValidationRecordPredicate,
} from '../../attest/predicates';
import { PREDICATE_SCHEMA_IDS, PredicateName } from '../../attest/predicate-types';

/**
 * Each predicate type's field list, written as a value `tsc` checks against the type (a missing,
 * extra or wrongly optional field does not compile), then compared here with the schema's
 * `properties` and `required`: the type and the schema cannot drift apart unnoticed.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type Presence<T, K extends keyof T> = {} extends Pick<T, K> ? 'optional' : 'required';
type Fields<T> = { readonly [K in keyof T]-?: Presence<T, K> };
type Obj = Record<string, unknown>;

const plan: Fields<PlanReceiptPredicate> = {
  kind: 'required',
  env: 'required',
  repo: 'required',
  actor: 'required',
  author: 'optional',
  tooling: 'required',
  inputs: 'required',
  outputs: 'required',
  timestamps: 'required',
  terraform: 'required',
  summary: 'required',
  changes: 'required',
  output_changes: 'required',
  drift: 'required',
  policy: 'required',
  commitments: 'required',
};
const planSummary: Fields<PlanReceiptPredicate['summary']> = {
  add: 'required',
  change: 'required',
  remove: 'required',
  import: 'required',
  replace: 'required',
  forget: 'required',
  move: 'required',
  read: 'required',
  noop: 'required',
  errored: 'required',
};
const planPolicy: Fields<NonNullable<PlanReceiptPredicate['policy']>> = {
  bundle_digest: 'required',
  rules: 'required',
  evaluated: 'required',
  verdict: 'required',
  findings: 'required',
  suppressed: 'required',
  input_digest: 'required',
  input: 'required',
};
const planTerraform: Fields<PlanReceiptPredicate['terraform']> = {
  format_version: 'required',
  applyable: 'required',
  complete: 'required',
  errored: 'required',
  deferred: 'required',
  checks: 'required',
};
const repo: Fields<PlanReceiptPredicate['repo']> = {
  commit: 'required',
  branch: 'required',
  source: 'required',
  branch_source: 'required',
};
const author: Fields<NonNullable<PlanReceiptPredicate['author']>> = { principal: 'required', source: 'required' };
const apply: Fields<ApplyReceiptPredicate> = {
  kind: 'required',
  env: 'required',
  repo: 'required',
  actor: 'required',
  tooling: 'required',
  inputs: 'required',
  outputs: 'required',
  timestamps: 'required',
  plan_receipt: 'required',
  summary: 'required',
  changes: 'required',
  output_changes: 'required',
  stream: 'required',
  commitments: 'required',
  completion: 'optional',
};
const applySummary: Fields<ApplyReceiptPredicate['summary']> = {
  status: 'required',
  add: 'required',
  change: 'required',
  remove: 'required',
  errored: 'required',
  not_applied: 'required',
};
const applyPlanReceipt: Fields<ApplyReceiptPredicate['plan_receipt']> = {
  digest: 'required',
  keyid: 'required',
  env: 'required',
  commit: 'required',
  subjects: 'required',
  summary: 'required',
};
const applyCompletion: Fields<NonNullable<ApplyReceiptPredicate['completion']>> = {
  final_summary: 'required',
  in_progress: 'required',
};
const drift: Fields<DriftReceiptPredicate> = {
  kind: 'required',
  env: 'required',
  repo: 'required',
  actor: 'required',
  tooling: 'required',
  inputs: 'required',
  outputs: 'required',
  timestamps: 'required',
  last_good: 'required',
  terraform: 'required',
  summary: 'required',
  drift: 'required',
  commitments: 'required',
};
const driftSummary: Fields<DriftReceiptPredicate['summary']> = {
  drifted: 'required',
  create: 'required',
  update: 'required',
  delete: 'required',
  replace: 'required',
  move: 'required',
  other: 'required',
  checks_failed: 'required',
};
const driftTerraform: Fields<DriftReceiptPredicate['terraform']> = {
  format_version: 'required',
  errored: 'required',
  pending_changes: 'required',
  checks: 'required',
};
const approval: Fields<ApprovalPredicate> = {
  kind: 'required',
  env: 'required',
  decision: 'required',
  principal: 'required',
  change_record: 'required',
  plan_receipt: 'required',
  repo: 'required',
  timestamps: 'required',
};
const approvalPlanReceipt: Fields<ApprovalPredicate['plan_receipt']> = { digest: 'required', commit: 'required' };
const validation: Fields<ValidationRecordPredicate> = {
  kind: 'required',
  env: 'required',
  status: 'required',
  checks: 'required',
  repo: 'required',
  timestamps: 'required',
};
const validationRepo: Fields<ValidationRecordPredicate['repo']> = { commit: 'required', source: 'required' };
const promotion: Fields<PromotionManifestPredicate> = {
  kind: 'required',
  env: 'required',
  repo: 'required',
  evidence: 'required',
  policy: 'required',
  approvals: 'required',
  ledger: 'optional',
  timestamps: 'required',
};
const promotionLedger: Fields<NonNullable<PromotionManifestPredicate['ledger']>> = {
  size: 'required',
  root: 'required',
  anchored: 'required',
  checkpoints: 'required',
  witnessed: 'optional',
};

const SHAPES: ReadonlyArray<[PredicateName, string[], Obj]> = [
  ['plan', [], plan],
  ['plan', ['summary'], planSummary],
  ['plan', ['policy'], planPolicy],
  ['plan', ['terraform'], planTerraform],
  ['plan', ['repo'], repo],
  ['plan', ['author'], author],
  ['apply', [], apply],
  ['apply', ['summary'], applySummary],
  ['apply', ['plan_receipt'], applyPlanReceipt],
  ['apply', ['completion'], applyCompletion],
  ['apply', ['repo'], repo],
  ['drift', [], drift],
  ['drift', ['summary'], driftSummary],
  ['drift', ['terraform'], driftTerraform],
  ['drift', ['repo'], repo],
  ['approval', [], approval],
  ['approval', ['plan_receipt'], approvalPlanReceipt],
  ['validation', [], validation],
  ['validation', ['repo'], validationRepo],
  ['promotion', [], promotion],
  ['promotion', ['ledger'], promotionLedger],
];

function schemaOf(name: PredicateName): Obj {
  const file = path.basename(PREDICATE_SCHEMA_IDS[name]);
  return JSON.parse(fs.readFileSync(path.join(__dirname, '../../schemas', file), 'utf8')) as Obj;
}

/** The object schema at `at`, following `$ref` into `$defs` and taking the object branch of a `oneOf`. */
function objectAt(root: Obj, at: readonly string[]): Obj {
  const resolve = (s: Obj): Obj => {
    if (typeof s.$ref === 'string') return resolve((root.$defs as Obj)[s.$ref.split('/').pop()!] as Obj);
    if (Array.isArray(s.oneOf)) return resolve((s.oneOf as Obj[]).find((b) => b.type !== 'null')!);
    return s;
  };
  return at.reduce((s, k) => resolve((s.properties as Obj)[k] as Obj), resolve(root));
}

describe('each predicate type matches its JSON Schema', () => {
  it.each(SHAPES.map(([n, at, f]) => [`${n}${at.map((k) => `.${k}`).join('')}`, n, at, f] as const))(
    '%s has the schema’s fields, required where the schema requires them',
    (_label, name, at, fields) => {
      const s = objectAt(schemaOf(name), at);
      expect(Object.keys(fields).sort()).toEqual(Object.keys(s.properties as Obj).sort());
      const required = Object.keys(fields).filter((k) => fields[k] === 'required');
      expect(required.sort()).toEqual([...((s.required as string[]) ?? [])].sort());
    },
  );

  it('types every predicate the tool knows', () => {
    const typed = new Set(SHAPES.filter(([, at]) => at.length === 0).map(([n]) => n));
    expect([...typed].sort()).toEqual(Object.keys(PREDICATE_SCHEMA_IDS).sort());
  });
});

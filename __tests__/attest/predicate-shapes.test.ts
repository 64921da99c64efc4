import * as fs from 'fs';
import * as path from 'path';
import type {
  ApplyReceiptPredicate,
  ApprovalPredicate,
  DriftReceiptPredicate,
  PlanExposureChange,
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

const R = 'required' as const;
const O = 'optional' as const;

/** One object of a predicate (`at` is its path from the predicate) and its field list, checked against `T`. */
function shape<T>(name: PredicateName, at: string[], fields: Fields<T>): [PredicateName, string[], Obj] {
  return [name, at, fields as Obj];
}

// prettier-ignore
const SHAPES: ReadonlyArray<[PredicateName, string[], Obj]> = [
  shape<PlanReceiptPredicate>('plan', [], { kind: R, env: R, repo: R, actor: R, author: O, purpose: O, tooling: R, inputs: R, outputs: R, timestamps: R, terraform: R, summary: R, changes: R, output_changes: R, drift: R, policy: R, exposure: O, commitments: R }),
  shape<PlanReceiptPredicate['summary']>('plan', ['summary'], { add: R, change: R, remove: R, import: R, replace: R, forget: R, move: R, read: R, noop: R, errored: R }),
  shape<NonNullable<PlanReceiptPredicate['policy']>>('plan', ['policy'], { bundle_digest: R, rules: R, evaluated: R, verdict: R, findings: R, suppressed: R, input_digest: R, input: R, installation: O }),
  shape<PlanReceiptPredicate['terraform']>('plan', ['terraform'], { format_version: R, applyable: R, complete: R, errored: R, deferred: R, checks: R }),
  shape<PlanReceiptPredicate['repo']>('plan', ['repo'], { commit: R, branch: R, source: R, branch_source: R }),
  shape<NonNullable<PlanReceiptPredicate['author']>>('plan', ['author'], { principal: R, source: R }),
  shape<NonNullable<NonNullable<PlanReceiptPredicate['policy']>['installation']>>('plan', ['policy', 'installation'], { namePrefix: R, repository: R }),
  shape<PlanExposureChange>('plan', ['exposure'], { address: R, type: R, removed: R, added: R }),
  shape<ApplyReceiptPredicate>('apply', [], { kind: R, env: R, repo: R, actor: R, tooling: R, inputs: R, outputs: R, timestamps: R, plan_receipt: R, summary: R, changes: R, output_changes: R, stream: R, commitments: R, completion: O, errors: O }),
  shape<ApplyReceiptPredicate['summary']>('apply', ['summary'], { status: R, add: R, change: R, remove: R, errored: R, not_applied: R }),
  shape<ApplyReceiptPredicate['plan_receipt']>('apply', ['plan_receipt'], { digest: R, keyid: R, env: R, commit: R, subjects: R, summary: R }),
  shape<NonNullable<ApplyReceiptPredicate['completion']>>('apply', ['completion'], { final_summary: R, in_progress: R }),
  shape<PlanReceiptPredicate['repo']>('apply', ['repo'], { commit: R, branch: R, source: R, branch_source: R }),
  shape<DriftReceiptPredicate>('drift', [], { kind: R, env: R, repo: R, actor: R, tooling: R, inputs: R, outputs: R, timestamps: R, last_good: R, terraform: R, summary: R, drift: R, commitments: R }),
  shape<DriftReceiptPredicate['summary']>('drift', ['summary'], { drifted: R, create: R, update: R, delete: R, replace: R, move: R, other: R, checks_failed: R }),
  shape<DriftReceiptPredicate['terraform']>('drift', ['terraform'], { format_version: R, errored: R, pending_changes: R, checks: R }),
  shape<PlanReceiptPredicate['repo']>('drift', ['repo'], { commit: R, branch: R, source: R, branch_source: R }),
  shape<ApprovalPredicate>('approval', [], { kind: R, env: R, decision: R, principal: R, change_record: R, plan_receipt: R, repo: R, timestamps: R }),
  shape<ApprovalPredicate['plan_receipt']>('approval', ['plan_receipt'], { digest: R, commit: R }),
  shape<ValidationRecordPredicate>('validation', [], { kind: R, env: R, status: R, checks: R, repo: R, timestamps: R }),
  shape<ValidationRecordPredicate['repo']>('validation', ['repo'], { commit: R, source: R }),
  shape<PromotionManifestPredicate>('promotion', [], { kind: R, env: R, repo: R, evidence: R, policy: R, approvals: R, ledger: O, timestamps: R }),
  shape<NonNullable<PromotionManifestPredicate['ledger']>>('promotion', ['ledger'], { size: R, root: R, anchored: R, checkpoints: R, witnessed: O }),
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
    if (s.type === 'array' && s.items) return resolve(s.items as Obj);
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

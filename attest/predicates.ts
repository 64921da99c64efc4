import type { Env } from '../core/vocabulary';
import type { PredicateName } from './predicate-types';

/**
 * One TypeScript type per predicate, written beside its JSON Schema (`schemas/`). A predicate
 * that passed `validatePredicate` has exactly this shape, and `predicateOf` (attest/validate.ts)
 * hands it out typed; `__tests__/attest/predicate-shapes.test.ts` fails when a type's fields (and
 * which are required) drift from its schema's. Members no reader interprets stay `unknown`.
 */

/** `sha256:<hex>`. */
export type TaggedDigest = string;

export type RepoRef = {
  readonly commit: string | null;
  readonly branch: string | null;
  readonly source: 'flag' | 'GITHUB_SHA' | 'git' | 'unknown';
  readonly branch_source: 'flag' | 'GITHUB_REF_NAME' | 'git' | 'unknown';
};

export type ActorRef = {
  readonly principal: string | null;
  readonly method: 'ci' | 'manual' | 'gitops';
  readonly source: 'flag' | 'GITHUB_ACTOR' | 'unknown';
};

/** What every Terraform receipt (plan, apply, drift) records of where and by whom it was made. */
export type ReceiptBase = {
  readonly env: Env;
  readonly repo: RepoRef;
  readonly actor: ActorRef;
  readonly tooling: readonly unknown[];
  readonly inputs: readonly unknown[];
  readonly outputs: readonly unknown[];
  readonly commitments: unknown;
};

export type PolicyDecision = {
  readonly bundle_digest: TaggedDigest;
  readonly rules: number;
  readonly evaluated: number;
  readonly verdict: 'pass' | 'fail';
  readonly findings: readonly unknown[];
  readonly suppressed: readonly unknown[];
  readonly input_digest: TaggedDigest;
  /** The plan JSON (by digest) and env the decision judged. */
  readonly input: { readonly kind: 'plan'; readonly digest: TaggedDigest; readonly env: Env };
  /** Added, optional: the installation (kfm:namePrefix, kfm:repository) the decision was judged for. */
  readonly installation?: { readonly namePrefix: string; readonly repository: string };
};

export type PlanPredicateSummary = {
  readonly add: number;
  readonly change: number;
  readonly remove: number;
  readonly import: number;
  readonly replace: number;
  readonly forget: number;
  readonly move: number;
  readonly read: number;
  readonly noop: number;
  readonly errored: boolean;
};

/**
 * One resource's exposure change, as facts (`ingress tcp port 22 from 10.0.0.0/8`, `storage_encrypted =
 * false`, `policy allows account 444455556666 (role)`), never raw values: computed by the policy
 * pack's exposure view (policy/engine/exposure.ts).
 */
export type PlanExposureChange = {
  readonly address: string;
  readonly type: string;
  readonly removed: readonly string[];
  readonly added: readonly string[];
};

export type PlanReceiptPredicate = ReceiptBase & {
  readonly kind: 'kfm.infra.PlanReceipt';
  /** The change's author; absent from receipts written before it. */
  readonly author?: { readonly principal: string | null; readonly source: 'flag' | 'unknown' };
  /** `rollback` for a tier's documented rollback plan; absent otherwise (and from older receipts). */
  readonly purpose?: 'rollback';
  readonly timestamps: { readonly planned: string | null };
  readonly terraform: {
    readonly format_version: string;
    readonly applyable: boolean | null;
    readonly complete: boolean | null;
    readonly errored: boolean;
    readonly deferred: number;
    readonly checks: unknown;
  };
  readonly summary: PlanPredicateSummary;
  readonly changes: readonly unknown[];
  readonly output_changes: readonly unknown[];
  readonly drift: readonly unknown[];
  readonly policy: PolicyDecision | null;
  /** Exposure changes of the plan; present only when there are some (absent from older receipts). */
  readonly exposure?: readonly PlanExposureChange[];
};

export type ApplyStatus = 'applied' | 'failed' | 'incomplete';

export type ApplyReceiptPredicate = ReceiptBase & {
  readonly kind: 'kfm.infra.ApplyReceipt';
  readonly timestamps: { readonly started: string | null; readonly finished: string | null };
  readonly plan_receipt: {
    readonly digest: TaggedDigest;
    readonly keyid: string;
    readonly env: Env;
    readonly commit: string | null;
    readonly subjects: readonly { readonly name: string; readonly digest: TaggedDigest }[];
    readonly summary: Record<string, unknown>;
  };
  readonly summary: {
    readonly status: ApplyStatus;
    readonly add: number;
    readonly change: number;
    readonly remove: number;
    readonly errored: readonly string[];
    readonly not_applied: readonly string[];
  };
  readonly changes: readonly unknown[];
  readonly output_changes: readonly unknown[];
  readonly stream: Record<string, unknown>;
  /** Whether the stream is a whole apply; absent from receipts written before it. */
  readonly completion?: { readonly final_summary: boolean; readonly in_progress: readonly string[] };
  /** Terraform's error diagnostics, redacted; present only when it reported errors. */
  readonly errors?: readonly { readonly summary: string; readonly detail: string; readonly address: string | null }[];
};

export type DriftReceiptPredicate = ReceiptBase & {
  readonly kind: 'kfm.infra.DriftReceipt';
  readonly timestamps: { readonly planned: string | null };
  readonly last_good: string | null;
  readonly terraform: {
    readonly format_version: string;
    readonly errored: boolean;
    readonly pending_changes: number;
    readonly checks: unknown;
  };
  readonly summary: {
    readonly drifted: number;
    readonly create: number;
    readonly update: number;
    readonly delete: number;
    readonly replace: number;
    readonly move: number;
    readonly other: number;
    readonly checks_failed: number;
  };
  readonly drift: readonly unknown[];
};

export type ApprovalPredicate = {
  readonly kind: 'kfm.infra.Approval';
  readonly env: Env;
  readonly decision: 'approved';
  readonly principal: string;
  readonly change_record: string | null;
  readonly plan_receipt: { readonly digest: TaggedDigest; readonly commit: string | null };
  readonly repo: { readonly commit: string | null };
  readonly timestamps: { readonly approved: string };
};

export type ValidationRecordPredicate = {
  readonly kind: 'kfm.infra.ValidationRecord';
  readonly env: Env;
  readonly status: 'pass' | 'fail';
  readonly checks: readonly { readonly name: string; readonly status: 'pass' | 'fail' }[];
  readonly repo: { readonly commit: string; readonly source: 'flag' | 'GITHUB_SHA' | 'git' | 'unknown' };
  readonly timestamps: { readonly finished: string };
};

export type PromotionManifestPredicate = {
  readonly kind: 'kfm.infra.PromotionManifest';
  readonly env: Exclude<Env, 'dev'>;
  readonly repo: { readonly commit: string };
  readonly evidence: readonly { readonly requirement: string; readonly digest: TaggedDigest; readonly seq?: number }[];
  readonly policy: { readonly bundle_digest: TaggedDigest | null };
  readonly approvals: readonly {
    readonly digest: TaggedDigest;
    readonly principal: string | null;
    readonly change_record: string | null;
  }[];
  /** The ledger read the decision was made on; absent from manifests written before gates recorded it. */
  readonly ledger?: {
    readonly size: number;
    readonly root: string;
    readonly anchored: boolean;
    readonly checkpoints: readonly unknown[];
    readonly witnessed?: { readonly size: number; readonly quorum: number; readonly cosigners: readonly string[] };
  };
  readonly timestamps: { readonly promoted: string };
};

/** The type of each predicate, by its name in `PREDICATE_TYPES`. */
export type Predicates = {
  readonly plan: PlanReceiptPredicate;
  readonly apply: ApplyReceiptPredicate;
  readonly drift: DriftReceiptPredicate;
  readonly approval: ApprovalPredicate;
  readonly validation: ValidationRecordPredicate;
  readonly promotion: PromotionManifestPredicate;
};

/** A predicate name with no type here fails to compile. */
export type KnownPredicate<N extends PredicateName> = Predicates[N];

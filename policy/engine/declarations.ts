import declared from '../config/external-resources.json';
import { DEFAULT_INSTALLATION, Installation } from '../../core/installation';

/**
 * What the platform declares about resources outside a plan (policy/config/external-resources.json).
 * A target that is neither in the plan nor declared is never trusted: a finding in prod (an error),
 * a warning elsewhere, naming the list to add it to.
 */
export interface DeclaredBucket {
  readonly zone?: string;
  /** A log store: CloudTrail, flow logs and access logs may be delivered to it. */
  readonly logs?: boolean;
  readonly objectLock?: string;
  readonly reason: string;
}

export type DeclaredKind =
  | 'buckets'
  | 'securityGroups'
  | 'networkAcls'
  | 'roles'
  | 'topics'
  | 'accounts'
  | 'endpointServices'
  | 'queues'
  | 'repositories'
  | 'secrets';

export interface Platform {
  readonly auditMinimumRetentionDays: number;
  readonly githubRepositories: readonly string[];
  readonly githubEnvironments: readonly string[];
  readonly githubSubjectsWithoutEnvironment: Readonly<Record<string, string>>;
}

type DeclaredFile = Record<DeclaredKind, Record<string, { reason: string }>> & { platform: Platform };

/**
 * The declared facts of one installation: external-resources.json with its placeholders
 * `{namePrefix}` and `{repository}` (in names and in text) replaced by the installation's values
 * (core/installation.ts: cdktf.json's kfm:namePrefix and kfm:repository, the same reading the
 * stacks use). The file as reviewed (placeholders in place) is what the bundle digest covers.
 */
export interface Declarations {
  readonly installation: Installation;
  readonly platform: Platform;
  /** The declared entry of `kind` named `key` (a bucket name, a group id, a role name, an account id). */
  entry(kind: DeclaredKind, key: string): { reason: string } | undefined;
  bucket(name: string): DeclaredBucket | undefined;
}

export const EXTERNAL_FILE = 'policy/config/external-resources.json';

/** Replace the placeholders in every key and string of a JSON value (no text is re-parsed). */
function resolvePlaceholders(v: unknown, installation: Installation): unknown {
  const text = (s: string) =>
    s.replaceAll('{namePrefix}', installation.namePrefix).replaceAll('{repository}', installation.repository);
  if (typeof v === 'string') return text(v);
  if (Array.isArray(v)) return v.map((x) => resolvePlaceholders(x, installation));
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), resolvePlaceholders(x, installation)]));
}

const resolved = new Map<string, Declarations>();

/** The declared facts of `installation` (the defaults unless the caller read cdktf.json). */
export function declarationsFor(installation: Installation = DEFAULT_INSTALLATION): Declarations {
  const cacheKey = `${installation.namePrefix}\u0000${installation.repository}`;
  const hit = resolved.get(cacheKey);
  if (hit) return hit;
  const lists = resolvePlaceholders(declared, installation) as DeclaredFile;
  const entry = (kind: DeclaredKind, key: string) => {
    const list = lists[kind] ?? {};
    return Object.prototype.hasOwnProperty.call(list, key) ? list[key] : undefined;
  };
  const out: Declarations = {
    installation: { namePrefix: installation.namePrefix, repository: installation.repository },
    platform: lists.platform,
    entry,
    bucket: (name) => entry('buckets', name) as DeclaredBucket | undefined,
  };
  resolved.set(cacheKey, out);
  return out;
}

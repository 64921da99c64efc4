import declared from '../config/external-resources.json';
import { DEFAULT_INSTALLATION, Installation } from '../../core/installation';
import { ReceiptError } from '../../core/errors';
import { CidrRange, parseCidr, publicFamiliesOf } from './cidr';

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

type DeclaredFile = Record<DeclaredKind, Record<string, { reason: string }>> & {
  platform: Platform;
  /** Public ranges the platform trusts (a partner's published range), each with a reason. */
  publicCidrs?: Record<string, { reason?: unknown }>;
};

/**
 * The widest range that may be declared trusted: a /8 of IPv4, a /16 of IPv6. A partner publishes
 * ranges far narrower; anything wider (`0.0.0.0/0`, `::/0`, `0.0.0.0/1`, `2000::/3`) is a share of
 * the internet, never a partner, and is refused.
 */
export const WIDEST_TRUSTED_PREFIX = { 4: 8, 6: 16 } as const;
const BITS = { 4: 32, 6: 128 } as const;

/** One declared public range, checked: a CIDR, internet-routable, no wider than WIDEST_TRUSTED_PREFIX, a reason. */
function trustedRange(cidr: string, entry: { reason?: unknown } | undefined, origin: string): CidrRange {
  const at = `${origin}: publicCidrs "${cidr}"`;
  const r = parseCidr(cidr);
  if (!r) throw new ReceiptError('INPUT_INVALID', `${at} is not a CIDR (expected e.g. 192.0.2.0/24 or 2001:db8::/32)`);
  const size = r.last - r.first + 1n;
  const prefix = BITS[r.family] - (size.toString(2).length - 1);
  if (prefix < WIDEST_TRUSTED_PREFIX[r.family])
    throw new ReceiptError(
      'INPUT_INVALID',
      `${at} covers /${prefix}, more of the internet than any partner publishes (at most a /${WIDEST_TRUSTED_PREFIX[r.family]} of IPv${r.family} may be declared; 0.0.0.0/0 and ::/0 never)`,
    );
  if (publicFamiliesOf([r]).length === 0)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${at} is not internet-routable: a private or reserved range needs no declaration`,
    );
  if (typeof entry?.reason !== 'string' || entry.reason.trim().length < 10)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${at}: reason must say why this range is trusted (at least 10 characters)`,
    );
  return r;
}

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
  /** Public ranges declared trusted under `publicCidrs` (checked when the file is read). */
  readonly trustedCidrs: readonly CidrRange[];
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

/** A declarations file given instead of the committed one (tests, `--declarations`), and where it came from. */
export interface DeclarationsFile {
  readonly doc: unknown;
  readonly origin: string;
}

/**
 * The declared facts of `installation` (the defaults unless the caller read cdktf.json), from the
 * committed file or `file`. Throws INPUT_INVALID naming the file and entry when a declared public
 * range is not one the platform may trust.
 */
export function declarationsFor(
  installation: Installation = DEFAULT_INSTALLATION,
  file?: DeclarationsFile,
): Declarations {
  const cacheKey = `${installation.namePrefix}\u0000${installation.repository}`;
  const hit = file ? undefined : resolved.get(cacheKey);
  if (hit) return hit;
  const origin = file?.origin ?? EXTERNAL_FILE;
  const doc = file ? file.doc : declared;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new ReceiptError('INPUT_INVALID', `${origin}: top level is not a JSON object`);
  const lists = resolvePlaceholders(doc, installation) as DeclaredFile;
  if (!lists.platform || typeof lists.platform !== 'object')
    throw new ReceiptError('INPUT_INVALID', `${origin}: platform is missing`);
  const cidrs = lists.publicCidrs ?? {};
  const trustedCidrs = Object.keys(cidrs).map((c) => trustedRange(c, cidrs[c], origin));
  const entry = (kind: DeclaredKind, key: string) => {
    const list = lists[kind] ?? {};
    return Object.prototype.hasOwnProperty.call(list, key) ? list[key] : undefined;
  };
  const out: Declarations = {
    installation: { namePrefix: installation.namePrefix, repository: installation.repository },
    platform: lists.platform,
    entry,
    bucket: (name) => entry('buckets', name) as DeclaredBucket | undefined,
    trustedCidrs,
  };
  if (!file) resolved.set(cacheKey, out);
  return out;
}

/**
 * One change record checked by hand against `$defs/change`, the definition the plan and drift
 * receipt schemas share (`schemas/*.schema.json`). A plan receipt of 10,000 changes holds 10,000
 * records; ajv's generated code checks each through a call that builds its error path, which made
 * schema validation about a tenth of `kfm receipt plan` on such a plan.
 *
 * It only ever accepts: `validatePredicate` runs it on every record of a predicate's change lists
 * and, when all pass, lets ajv check the rest of the predicate with those lists empty. A record it
 * refuses sends the whole predicate to ajv, whose verdict and error message stand. So it must never
 * accept what the schema refuses (it may refuse more: a member set to `undefined`, which no JSON
 * holds). A test compares it with ajv on every record of the corpus receipts and on records
 * mutated field by field, and fails when `$defs/change` changes.
 */

const HMAC = /^hmac-sha256:[0-9a-f]{64}$/;
const HMAC_OR_UNKNOWN = /^(hmac-sha256:[0-9a-f]{64}|unknown)$/;

/** `actions` items: Terraform's single plan actions. */
const ACTION_WORDS: ReadonlySet<unknown> = new Set(['no-op', 'create', 'read', 'update', 'delete', 'forget']);

/** `action`: the label of the action list. */
const ACTION_LABELS: ReadonlySet<unknown> = new Set([
  'no-op',
  'create',
  'read',
  'update',
  'replace',
  'delete',
  'forget',
  'create-forget',
]);

/** What ajv calls an object: not null, not an array. */
function isObjectValue(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStrings(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** `$defs/count`: an integer >= 0. */
function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** `$defs/commitment`: null, or an HMAC commitment or `unknown`. */
function isCommitment(v: unknown): boolean {
  return v === null || (typeof v === 'string' && HMAC_OR_UNKNOWN.test(v));
}

/** `replace_paths`: a list of `$defs/path` (steps that are strings or integers). */
function isPaths(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const p: unknown = v[i];
    if (!Array.isArray(p)) return false;
    for (let j = 0; j < p.length; j++) {
      const s: unknown = p[j];
      if (typeof s !== 'string' && !Number.isInteger(s)) return false;
    }
  }
  return true;
}

/** `importing`: `{id?: HMAC commitment, unknown?: true}`, nothing else. */
function isImporting(v: unknown): boolean {
  if (!isObjectValue(v)) return false;
  for (const k in v) {
    const x = v[k];
    if (k === 'id') {
      if (typeof x !== 'string' || !HMAC.test(x)) return false;
    } else if (k === 'unknown') {
      if (x !== true) return false;
    } else return false;
  }
  return true;
}

/** `sensitive`: a list of `{path, before, after}`, commitments only. */
function isSensitive(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (!isObjectValue(e)) return false;
    if (typeof e.path !== 'string' || !isCommitment(e.before) || !isCommitment(e.after)) return false;
    for (const k in e) if (k !== 'path' && k !== 'before' && k !== 'after') return false;
  }
  return true;
}

const checkedAbove = (): boolean => true;
const isString = (v: unknown): boolean => typeof v === 'string';
const isHmac = (v: unknown): boolean => typeof v === 'string' && HMAC.test(v);
const isHmacOrUnknown = (v: unknown): boolean => typeof v === 'string' && HMAC_OR_UNKNOWN.test(v);

/** Each member `$defs/change` allows and its check; any other member is refused. */
const MEMBER_CHECKS: ReadonlyMap<string, (v: unknown) => boolean> = new Map([
  ['address', checkedAbove],
  ['type', checkedAbove],
  ['actions', checkedAbove],
  ['action', checkedAbove],
  ['module', isString],
  ['provider', isString],
  ['deposed', isString],
  ['action_reason', isString],
  ['moved_from', isString],
  ['changed', isStrings],
  ['unknown', isStrings],
  ['replace_paths', isPaths],
  ['importing', isImporting],
  ['sensitive', isSensitive],
  ['changed_omitted', isCount],
  ['before', isHmac],
  ['after', isHmacOrUnknown],
]);

/** True only when `r` is valid under `$defs/change` (false may still be valid: ask ajv). */
export function isChangeRecord(r: unknown): boolean {
  if (!isObjectValue(r)) return false;
  if (typeof r.address !== 'string' || r.address === '' || typeof r.type !== 'string') return false;
  const actions = r.actions;
  if (!Array.isArray(actions) || actions.length === 0) return false;
  for (let i = 0; i < actions.length; i++) if (!ACTION_WORDS.has(actions[i])) return false;
  if (!ACTION_LABELS.has(r.action)) return false;
  // Every member, own or inherited, as ajv's additionalProperties walks them.
  for (const k in r) {
    const check = MEMBER_CHECKS.get(k);
    if (check === undefined || !check(r[k])) return false;
  }
  return true;
}

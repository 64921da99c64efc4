/**
 * The `kfm` CLI contract the workflows and runbooks may call (issues 4, 5, 6), and a extractor
 * that finds every `kfm ...` / `node dist/receipts/cli.js ...` invocation in a text.
 */

/** The provenance flags of the receipt verbs. */
const PROVENANCE = ['commit', 'branch', 'actor', 'method'];

/** noun -> verb -> allowed flags. A noun without verbs uses the key ''. */
export const KFM_CONTRACT: Record<string, Record<string, readonly string[]>> = {
  keygen: { '': ['out-dir', 'alg'] },
  receipt: {
    plan: ['env', 'key', 'out', 'plan-file', ...PROVENANCE, 'policy', 'author', 'rollback', 'json'],
    apply: ['plan-receipt', 'env', 'key', 'out', 'plan-file', ...PROVENANCE, 'json', 'trusted-root', 'identity-policy'],
    drift: ['env', 'key', 'out', 'last-good', 'apply-receipt', 'pub', 'json', 'trusted-root', 'identity-policy'],
    verify: ['pub', 'json', 'trusted-root', 'identity-policy'],
    certify: ['key', 'pub', 'out', 'fulcio-url', 'rekor-url', 'rekor-api', 'rekor-entry-type', 'tsa-url', 'json'],
    'export-bundle': ['out', 'json'],
    show: ['pub', 'format', 'max-chars', 'synth', 'full-link', 'report-link', 'trusted-root', 'identity-policy'],
    comment: ['pub', 'receipt', 'plan', 'synth', 'synth-log', 'commit', 'run-url', 'docs-base', 'max-chars'],
  },
  audit: {
    init: ['store', 'endpoint', 'json'],
    append: ['store', 'endpoint', 'log-pub'],
    verify: [
      'store',
      'pub',
      'checkpoint',
      'json',
      'endpoint',
      'origin',
      'witness',
      'quorum',
      'trusted-root',
      'identity-policy',
    ],
    checkpoint: [
      'store',
      'key',
      'out',
      'pub',
      'checkpoint',
      'endpoint',
      'origin',
      'witness',
      'witness-url',
      'quorum',
      'witness-timeout',
    ],
    'verify-proof': ['proof', 'checkpoint', 'pub', 'envelope', 'origin', 'witness', 'quorum'],
    prove: ['store', 'seq', 'endpoint', 'checkpoint', 'format'],
    list: ['store', 'json', 'endpoint', 'env', 'commit', 'kind'],
    get: ['store', 'seq', 'endpoint'],
    mirror: ['from', 'to', 'endpoint', 'to-endpoint', 'json'],
    witnesses: ['store', 'endpoint', 'origin', 'pub', 'witness', 'quorum', 'witness-url', 'witness-timeout', 'json'],
  },
  policy: { check: ['synth', 'plan', 'synth-log', 'env', 'json', 'format', 'docs-base', 'source-root'] },
  gate: {
    promote: [
      'to',
      'store',
      'pub',
      'commit',
      'key',
      'json',
      'approver',
      'endpoint',
      'timestamp',
      'checkpoint',
      'witness',
      'quorum',
      'manifest-out',
      'log-pub',
      'trusted-root',
      'identity-policy',
    ],
    apply: [
      'env',
      'plan-file',
      'store',
      'pub',
      'approver',
      'commit',
      'endpoint',
      'json',
      'checkpoint',
      'witness',
      'quorum',
      'log-pub',
      'trusted-root',
      'identity-policy',
    ],
    evidence: [
      'kind',
      'env',
      'store',
      'pub',
      'out',
      'commit',
      'checkpoint',
      'endpoint',
      'json',
      'log-pub',
      'trusted-root',
      'identity-policy',
    ],
  },
  approve: {
    '': [
      'env',
      'plan-receipt',
      'principal',
      'key',
      'out',
      'change-record',
      'pub',
      'timestamp',
      'json',
      'trusted-root',
      'identity-policy',
      'keyless',
      'fulcio-url',
      'rekor-url',
      'rekor-api',
      'rekor-entry-type',
      'tsa-url',
    ],
  },
  report: {
    '': [
      'store',
      'pub',
      'approver',
      'commit',
      'checkpoint',
      'endpoint',
      'synth',
      'out',
      'log-pub',
      'trusted-root',
      'identity-policy',
    ],
  },
  witness: { serve: ['key', 'name', 'log', 'state', 'listen'] },
  state: { 'lock-check': ['store', 'endpoint', 'json'] },
  doctor: { '': [] },
  record: {
    smoke: [
      'env',
      'check',
      'key',
      'out',
      'commit',
      'apply-receipt',
      'pub',
      'subject',
      'timestamp',
      'json',
      'trusted-root',
      'identity-policy',
    ],
  },
};

/** The nouns cli/main.ts dispatches (checked against the file in the tests). */
export const KFM_NOUNS = Object.keys(KFM_CONTRACT);

export interface KfmCall {
  readonly text: string;
  readonly noun: string;
  readonly verb: string;
  readonly flags: string[];
}

/** Joins shell line continuations so one command is one line. */
export function joinContinuations(text: string): string {
  return text.replace(/\\\r?\n\s*/g, ' ');
}

const CALL = /(?:^|[\s;|&(`$])(?:npx\s+kfm|kfm|node\s+dist\/receipts\/cli\.js)\s+([^\n;|&)`]*)/g;

/** Every kfm invocation in `text` (commands in prose are found too, e.g. inside `backticks`). */
export function kfmCalls(text: string): KfmCall[] {
  const calls: KfmCall[] = [];
  for (const m of joinContinuations(text).matchAll(CALL)) {
    const words = m[1].trim().split(/\s+/);
    const noun = words[0] ?? '';
    const verbs = KFM_CONTRACT[noun];
    const verb = verbs && !('' in verbs) ? (words[1] ?? '') : '';
    const flags = [...m[1].matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)].map((f) => f[1]);
    calls.push({ text: m[0].trim(), noun, verb, flags });
  }
  return calls;
}

/** Problems with one call: unknown noun, verb or flag. */
export function contractProblems(call: KfmCall): string[] {
  if (['--help', '-h', 'help'].includes(call.noun)) return [];
  const verbs = KFM_CONTRACT[call.noun];
  if (!verbs) return [`unknown kfm command "${call.noun}" in: ${call.text}`];
  const flags = verbs[call.verb];
  if (!flags) return [`unknown verb "kfm ${call.noun} ${call.verb}" in: ${call.text}`];
  return call.flags
    .filter((f) => f !== 'help' && !flags.includes(f))
    .map((f) => `kfm ${call.noun} ${call.verb}: unknown flag --${f} in: ${call.text}`);
}

/**
 * `kfm audit append|verify|checkpoint|prove|verify-proof|list|get` — the audit ledger CLI.
 * See docs/audit-ledger.md for layout, entry format and the verify algorithm.
 */
import { createHash } from 'node:crypto';
import { ReceiptError } from '../../core/errors';
import { parseJsonText, readInputFile, refuseExisting, writeFileExclusive } from '../../core/files';
import { sha256Tagged } from '../../core/digest';
import { SigningKey, TrustedKey, trustedKeyOf } from '../../attest/sign/ed25519';
import {
  DEFAULT_ORIGIN,
  noteKeyHash,
  parseCheckpoint,
  SignedCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from '../../ledger/checkpoint';
import { parseAppendable, entryHash } from '../../ledger/entry';
import {
  consistencyRanges,
  HASH_SIZE,
  inclusionRanges,
  leafHash,
  MerkleFrontier,
  RangeHasher,
  verifyInclusion,
} from '../../ledger/merkle';
import { openStore } from '../../ledger/open-store';
import { IndexBuilder, resumeIndex, writeIndex } from '../../ledger/log-index-build';
import { indexFor, SinceStart, sinceStart } from '../../ledger/log-index-read';
import { AuditStore, bundlePath, StoredEntry } from '../../ledger/store';
import { verifyLog } from '../../ledger/verify';
import { requireQuorum } from '../../ledger/cosignature';
import { collectCosignatures, WitnessAnswerLine, WitnessEndpoint } from '../../ledger/witness/client';
import { treeWithProofs, witnessedSizes } from '../../ledger/witness/log-tree';
import { WITNESS_OPTS, witnessEndpoints, WitnessPolicy, witnessPolicy } from '../lib/witnesses';
import { OptionSpec, parseCommandArgs, pickVerb, requireOpt } from '../lib/args';
import { ENTRY_KINDS, EntryKind, summarizeEnvelope } from '../../gates/entry-summary';
import { loadSigningKey, loadTrustedKeys, many, requireTrustedKeys } from '../lib/keys';
import { progress } from '../lib/progress';
import { Command, CommandIo } from '../lib/types';

const STORE_OPTS: OptionSpec = { store: { type: 'string', required: true }, endpoint: { type: 'string' } };
const ORIGIN_OPT: OptionSpec = { origin: { type: 'string' } };

const VERBS: Record<string, (io: CommandIo, argv: readonly string[]) => Promise<number>> = {
  append,
  verify,
  checkpoint,
  prove,
  'verify-proof': verifyProof,
  list,
  get,
};

export const audit: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('audit', verb, VERBS)(io, rest);
};

function storeFrom(cmd: string, values: Record<string, unknown>, io: CommandIo): AuditStore {
  const spec = requireOpt(cmd, values, 'store');
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  return openStore(spec, { endpoint, env: io.env });
}

function originFrom(values: Record<string, unknown>): string {
  return typeof values.origin === 'string' && values.origin.length > 0 ? values.origin : DEFAULT_ORIGIN;
}

function trustedFrom(cmd: string, values: Record<string, unknown>): TrustedKey[] {
  return requireTrustedKeys(cmd, many(values.pub));
}

function seqFrom(cmd: string, values: Record<string, unknown>): number {
  const s = requireOpt(cmd, values, 'seq');
  if (!/^[1-9][0-9]{0,11}$/.test(s))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --seq "${s}" is not a sequence number (1, 2, ...)`);
  return Number(s);
}

/** `append FILE... --store STORE [--endpoint URL]`: all files are checked before anything is written. */
async function append(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'audit append',
    argv,
    STORE_OPTS,
    { min: 1, max: 10000, names: 'FILE... (DSSE envelopes)' },
    {
      summary: 'Append signed envelopes to the ledger; every file is checked before anything is written.',
      example: 'audit append receipts-out/dev.plan.receipt.json --store .kfm/audit',
    },
  );
  const store = storeFrom('audit append', values, io);
  const inputs = positionals.map((f) => {
    const bytes = readInputFile(f, 'envelope');
    parseAppendable(bytes, f);
    return bytes;
  });
  const bar = progress(io, 'append', inputs.length);
  // A batch reads what its replay checks need first, many requests at once (not one per file).
  if (inputs.length > 1) await store.prepareAppend?.(inputs);
  for (const bytes of inputs) {
    bar.tick();
    // An envelope already in the log is answered with its first entry and not written again.
    const r = await store.append(bytes);
    io.stdout(JSON.stringify({ seq: r.seq, digest: r.digest, ...(r.existing ? { existing: true } : {}) }) + '\n');
  }
  bar.done();
  return 0;
}

/** `verify --store STORE --pub PUB... [--checkpoint FILE...] [--json] [--origin NAME]` */
async function verify(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit verify',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      pub: { type: 'string', multiple: true },
      ...WITNESS_OPTS,
      checkpoint: { type: 'string', multiple: true },
      since: {
        type: 'string',
        arg: 'FILE',
        help: 'a verified checkpoint: check only what was appended after it (consistency and the new entries)',
        default: 'the whole log',
      },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Verify the whole ledger: every signature, the hash chain, the Merkle tree and every checkpoint.',
      example: 'audit verify --store .kfm/audit --pub keys/kfm-ci.pub --checkpoint cp.txt',
      exits: '3 when any check fails',
    },
  );
  const trusted = trustedFrom('audit verify', values);
  const policy = witnessPolicy('audit verify', values);
  const store = storeFrom('audit verify', values, io);
  const checkpoints = ((values.checkpoint as string[] | undefined) ?? []).map((f) => ({
    source: f,
    text: readInputFile(f, 'checkpoint').toString('utf8'),
  }));
  // --since CP: only what was added after a verified checkpoint (its index gives the tree).
  const since = await resumeFrom(io, store, values.since, trusted, originFrom(values), checkpoints);
  const bar = progress(io, 'verify');
  const report = await verifyLog(store, {
    trusted,
    checkpoints,
    origin: originFrom(values),
    ...policy,
    since,
    onEntry: () => bar.tick(),
  });
  bar.done();
  for (const n of report.notes) io.stderr(`kfm: note: ${n}\n`);
  for (const p of report.problems) io.stderr(`kfm: LOG_INTEGRITY: ${p}\n`);
  if (report.problemCount > report.problems.length) {
    io.stderr(`kfm: LOG_INTEGRITY: ... and ${report.problemCount - report.problems.length} more problem(s)\n`);
  }
  if (values.json) io.stdout(JSON.stringify(report) + '\n');
  else if (report.ok) {
    io.stdout(
      `ok: ${report.size} entries, root ${report.root}, ${report.checkpoints.length} checkpoint(s) consistent${
        policy.quorum > 0
          ? `, ${report.checkpoints.filter((c) => c.witnessed).length} witnessed (quorum ${policy.quorum})`
          : ''
      }\n`,
    );
  } else io.stdout(`FAILED: ${report.problemCount} problem(s) in ${report.store} (${report.size} entries read)\n`);
  return report.ok ? 0 : 3;
}

/**
 * `--since FILE`: where a verify (or a checkpoint) resumes — FILE verified under `trusted`, and
 * its index in the store. Without an index, FILE joins `checkpoints` and the whole log is read.
 */
async function resumeFrom(
  io: CommandIo,
  store: AuditStore,
  file: unknown,
  trusted: readonly TrustedKey[],
  origin: string,
  checkpoints: { source: string; text: string }[],
  resumeUnder?: TrustedKey,
): Promise<SinceStart | undefined> {
  if (typeof file !== 'string') return undefined;
  const text = readInputFile(file, 'checkpoint').toString('utf8');
  const cp = parseCheckpoint(text, file);
  // Its index counts only under the key that signed it.
  const signer = verifyCheckpoint(cp, trusted, origin, file);
  // A checkpoint continues only an index its own key signed: under another --pub key (an
  // approver's, say) FILE is checked like a --checkpoint and the whole log is read.
  const own = resumeUnder === undefined || signer.keyid === resumeUnder.keyid;
  const since = own ? await sinceStart(store, cp, file, [signer]) : undefined;
  if (since === undefined) {
    const why = own
      ? 'the store holds no index for this checkpoint'
      : `signed by ${signer.source}, not by --key, so its index is not continued`;
    io.stderr(`kfm: note: ${file}: ${why}; verifying the whole log against it\n`);
    checkpoints.push({ source: file, text });
  }
  return since;
}

/**
 * `checkpoint --store STORE --key KEY --out FILE [--pub PUB...] [--checkpoint FILE...] [--since FILE] [--origin NAME]
 *   [--witness NAME=PUB --witness-url NAME=URL ... --quorum N --witness-timeout SECONDS]`
 * With witnesses, the note is stored and written only when `--quorum` of them cosigned it.
 */
async function checkpoint(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit checkpoint',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      ...WITNESS_OPTS,
      key: { type: 'string', required: true },
      out: { type: 'string', required: true },
      pub: {
        type: 'string',
        multiple: true,
        help: 'trusted key of the entries (verified before signing)',
        default: 'entry signatures not checked',
      },
      checkpoint: { type: 'string', multiple: true, arg: 'FILE', help: 'earlier checkpoint the log must extend' },
      since: {
        type: 'string',
        arg: 'FILE',
        help: 'a trusted checkpoint with an index in the store: verify and index only what came after it',
        default: 'the whole log',
      },
      'witness-url': { type: 'string', multiple: true, arg: 'NAME=URL', help: 'witness to ask for a cosignature' },
      'witness-timeout': {
        type: 'string',
        arg: 'SECONDS',
        help: 'how long to wait for each witness (whole seconds, 1 to 999)',
        default: '10',
      },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Sign a checkpoint (C2SP note: origin, size, root) of the ledger.',
      example: 'audit checkpoint --store .kfm/audit --key .kfm/keys/kfm-signing.key --out cp.txt',
    },
  );
  const keyPath = requireOpt('audit checkpoint', values, 'key');
  const out = requireOpt('audit checkpoint', values, 'out');
  const key = loadSigningKey(keyPath);
  const policy = witnessPolicy('audit checkpoint', values);
  const endpoints = witnessEndpoints('audit checkpoint', values, policy);
  const timeoutMs = witnessTimeout(values);
  refuseExisting(out);
  const pubs = loadTrustedKeys(many(values.pub));
  const store = storeFrom('audit checkpoint', values, io);
  const origin = originFrom(values);
  // Sign only a good log: the full verify first (entry signatures need --pub; chain, tree and
  // consistency with every stored checkpoint always), and refuse with exit 3 when it fails.
  const own: TrustedKey = { publicKey: key.publicKey, keyid: key.keyid, source: `${keyPath} (public part)` };
  // --checkpoint: earlier checkpoints kept elsewhere, in case the stored ones were deleted.
  const checkpoints = ((values.checkpoint as string[] | undefined) ?? []).map((f) => ({
    source: f,
    text: readInputFile(f, 'checkpoint').toString('utf8'),
  }));
  // --since: the checkpoint verified earlier vouches for the log up to it (it was signed only
  // after a verify); verify what came after it and continue its index.
  const since = await resumeFrom(io, store, values.since, [own, ...pubs], origin, checkpoints, own);
  const report = await verifyLog(store, {
    trusted: [own, ...pubs],
    checkpoints,
    origin,
    envelopeSignatures: pubs.length > 0,
    since,
  });
  if (!report.ok) {
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `kfm audit checkpoint: ${store.spec} does not verify (${report.problemCount} problem(s)), nothing signed; first: ${report.problems[0] ?? 'unknown'}`,
    );
  }
  if (pubs.length === 0)
    io.stderr('kfm: note: entry signatures not checked (no --pub); chain, tree and stored checkpoints verified\n');
  if (endpoints.length > 0)
    return witnessedCheckpoint(io, { store, origin, key, out, policy, endpoints, timeoutMs, since });
  // One pass: the tree, the index (commit and digest → seqs, range roots) and any missing bundle;
  // resumed, only from the checkpoint's last incomplete range on.
  const have = new Set(await store.listDerived('bundles'));
  const builder = await indexUpTo(store, report.size, (first) => have.has(bundlePath(first)), since);
  const root = builder.root;
  if (root.toString('base64') !== report.root)
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: changed while it was checkpointed; run it again`);
  const index = await writeIndex(store, builder, origin, key);
  const note = signCheckpoint({ origin, size: report.size, root }, key);
  const stored = await store.putCheckpoint(
    report.size,
    noteKeyHash(origin, key.publicKey).toString('hex'),
    Buffer.from(note, 'utf8'),
  );
  writeFileExclusive(out, note);
  io.stdout(JSON.stringify({ size: report.size, root: report.root, out, stored, index }) + '\n');
  return 0;
}

/** The index of entries 1..size: continued from `since`'s index, or built from entry 1. */
async function indexUpTo(
  store: AuditStore,
  size: number,
  haveBundle: (first: number) => boolean,
  since: SinceStart | undefined,
  visit?: (e: StoredEntry) => void,
): Promise<IndexBuilder> {
  // A format 1 index holds no subjects: it cannot be continued, so the new index starts at entry 1.
  if (since !== undefined && since.size <= size && since.index.version >= 2)
    return resumeIndex(store, since.index, size, haveBundle);
  const builder = new IndexBuilder(haveBundle);
  // Exactly the entries verified (anything appended meanwhile waits for the next checkpoint).
  for await (const e of store.entries()) {
    if (e.seq > size) break;
    builder.push(e);
    visit?.(e);
  }
  if (builder.next !== size + 1)
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${store.spec}: log ended at ${builder.next - 1} entries, expected ${size}`,
    );
  return builder;
}

function witnessTimeout(values: Record<string, unknown>): number {
  const t = values['witness-timeout'];
  if (t === undefined) return 10_000;
  if (typeof t !== 'string' || !/^[1-9][0-9]{0,2}$/.test(t))
    throw new ReceiptError('USAGE', 'kfm audit checkpoint: --witness-timeout must be whole seconds from 1 to 999');
  return Number(t) * 1000;
}

async function witnessedCheckpoint(
  io: CommandIo,
  a: {
    store: AuditStore;
    origin: string;
    key: SigningKey;
    out: string;
    policy: WitnessPolicy;
    endpoints: WitnessEndpoint[];
    timeoutMs: number;
    /** Resume from this verified checkpoint's index instead of reading the whole log. */
    since?: SinceStart;
  },
): Promise<number> {
  const logKey = trustedKeyOf(a.key, 'log key');
  // Resumed: what the witnesses hold is at or above the trusted checkpoint (a witness that holds
  // less answers 409 with its size, and gets its proof from the index).
  const held = await witnessedSizes(a.store, logKey, a.origin, a.policy.witnesses, a.since && a.since.size - 1);
  // A witness ahead of this tree is a rollback, unless another appender grew the log and had
  // it cosigned meanwhile: then sign the larger tree and ask again (a few times at most).
  let size = await a.store.size();
  for (let round = 1; ; round++) {
    // The same pass builds the signed index that lets gates read by proof (ledger/index.ts).
    const have = new Set(await a.store.listDerived('bundles'));
    const haveBundle = (first: number) => have.has(bundlePath(first));
    const tree = a.since && a.since.size <= size ? await resumedTree(a, size, haveBundle, a.since, logKey) : undefined;
    const builder = tree ? undefined : new IndexBuilder(haveBundle);
    const full = builder ? await treeWithProofs(a.store, size, [...held.values()], (e) => builder.push(e)) : undefined;
    const root = tree?.root ?? full!.root;
    const note = signCheckpoint({ origin: a.origin, size, root }, a.key);
    const proofs = new Map<number, Promise<Buffer[]>>(
      [...(full?.proofs ?? [])].map(([m, p]) => [m, Promise.resolve(p)]),
    );
    const proof = (m: number): Promise<Buffer[]> => {
      if (tree) return tree.proof(m);
      if (!proofs.has(m))
        proofs.set(
          m,
          treeWithProofs(a.store, size, [m]).then((t) => t.proofs.get(m)!),
        );
      return proofs.get(m)!;
    };
    const { note: cosigned, answers } = await collectCosignatures(a.endpoints, {
      note,
      firstOld: (w) => held.get(w) ?? 0,
      proof,
      timeoutMs: a.timeoutMs,
    });
    const cosigners = answers.filter((x) => x.cosigned).map((x) => x.witness);
    if (cosigners.length >= a.policy.quorum) {
      const index = tree ? tree.index : await writeIndex(a.store, builder!, a.origin, a.key);
      return storeWitnessed(io, a, size, root, cosigned, cosigners, answers, index);
    }
    const ahead = Math.max(0, ...answers.map((x) => x.ahead ?? 0));
    const now = ahead > 0 && round < 3 ? await a.store.size() : size;
    if (now >= ahead && now > size) {
      for (const x of answers) if (x.ahead !== undefined) held.set(x.witness, x.ahead);
      size = now;
      continue;
    }
    for (const x of answers) io.stderr(`kfm: witness ${x.witness}: ${x.answer}\n`);
    throw new ReceiptError(
      'CHECKPOINT_INVALID',
      `checkpoint of tree size ${size} not witnessed: ${cosigners.length} of ${answers.length} witness(es) cosigned, quorum ${a.policy.quorum}; nothing stored or written`,
    );
  }
}

/**
 * The tree at `size` continued from a verified checkpoint's index: the new index is written
 * first (it is derived data, and names no checkpoint until one of this size and root is
 * trusted), then consistency proofs for the witnesses come from it, not from reading the log.
 */
async function resumedTree(
  a: { store: AuditStore; origin: string; key: SigningKey },
  size: number,
  haveBundle: (first: number) => boolean,
  since: SinceStart,
  logKey: TrustedKey,
): Promise<{ root: Buffer; index: string; proof: (m: number) => Promise<Buffer[]> }> {
  const builder = await indexUpTo(a.store, size, haveBundle, since);
  const root = builder.root;
  const index = await writeIndex(a.store, builder, a.origin, a.key);
  const tree = await indexFor(a.store, { origin: a.origin, size, root } as SignedCheckpoint, [logKey]);
  if (tree === undefined)
    throw new ReceiptError('STORE_UNAVAILABLE', `${index}: the index just written cannot be read`);
  const proof = async (m: number): Promise<Buffer[]> =>
    m > 0 && m < size ? Promise.all(consistencyRanges(m, size).map((r) => tree.subtreeHash(r.start, r.end))) : [];
  return { root, index, proof };
}

async function storeWitnessed(
  io: CommandIo,
  a: { store: AuditStore; out: string; policy: WitnessPolicy },
  size: number,
  root: Buffer,
  cosigned: string,
  cosigners: string[],
  answers: readonly WitnessAnswerLine[],
  index: string,
): Promise<number> {
  const bytes = Buffer.from(cosigned, 'utf8');
  const stored = await a.store.putCheckpoint(size, createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes);
  writeFileExclusive(a.out, cosigned);
  io.stdout(
    JSON.stringify({
      size,
      root: root.toString('base64'),
      out: a.out,
      stored,
      quorum: a.policy.quorum,
      cosigners,
      witnesses: answers.map((x) => ({ name: x.witness, cosigned: x.cosigned, answer: x.answer })),
      index,
    }) + '\n',
  );
  return 0;
}

export interface InclusionProofJson {
  readonly v: 'kfm-audit-inclusion-proof/1';
  readonly origin: string;
  readonly seq: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** base64 of the entry's bytes (the leaf); the envelope is inside it. */
  readonly entry: string;
  readonly envelopeDigest: string;
  readonly leafHash: string;
  readonly hashes: readonly string[];
  readonly root: string;
}

/** `prove --store STORE --seq N [--checkpoint FILE] [--origin NAME]`: inclusion proof JSON on stdout. */
async function prove(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit prove',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      seq: { type: 'string', required: true },
      checkpoint: { type: 'string', help: 'prove against this checkpoint', default: 'the whole log' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Print the inclusion proof of one entry as JSON.',
      example: 'audit prove --store .kfm/audit --seq 3 --checkpoint cp.txt > proof.json',
    },
  );
  const seq = seqFrom('audit prove', values);
  const store = storeFrom('audit prove', values, io);
  let origin = originFrom(values);
  let size = await store.size();
  let cpRoot: Buffer | undefined;
  const cpFile = typeof values.checkpoint === 'string' ? values.checkpoint : undefined;
  if (cpFile) {
    const cp = parseCheckpoint(readInputFile(cpFile, 'checkpoint').toString('utf8'), cpFile);
    if (cp.size > size)
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${cpFile}: checkpoint covers ${cp.size} entries but the log has ${size} (truncated?); run "kfm audit verify"`,
      );
    size = cp.size;
    cpRoot = cp.root;
    origin = cp.origin;
  }
  if (seq > size)
    throw new ReceiptError('INPUT_INVALID', `kfm audit prove: --seq ${seq} is beyond the tree size ${size}`);
  const hasher = new RangeHasher(inclusionRanges(seq - 1, size));
  const frontier = new MerkleFrontier();
  let entryBytes: Buffer | undefined;
  let envelopeDigest = '';
  for await (const e of store.entries()) {
    if (e.seq > size) break;
    const leaf = leafHash(e.entryBytes);
    hasher.push(leaf);
    frontier.push(leaf);
    if (e.seq === seq) {
      entryBytes = e.entryBytes;
      envelopeDigest = e.digest;
    }
  }
  if (!entryBytes || frontier.size !== size)
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: log ended at ${frontier.size} entries, expected ${size}`);
  const root = frontier.root();
  if (cpRoot && !cpRoot.equals(root)) {
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${cpFile}: root hash differs from the log's first ${size} entries (rewritten at or below ${store.entryName(size)}); run "kfm audit verify"`,
    );
  }
  const proof: InclusionProofJson = {
    v: 'kfm-audit-inclusion-proof/1',
    origin,
    seq,
    leafIndex: seq - 1,
    treeSize: size,
    entry: entryBytes.toString('base64'),
    envelopeDigest,
    leafHash: leafHash(entryBytes).toString('base64'),
    hashes: hasher.hashes().map((h) => h.toString('base64')),
    root: root.toString('base64'),
  };
  io.stdout(JSON.stringify(proof, null, 2) + '\n');
  return 0;
}

/** `verify-proof --proof FILE --checkpoint FILE --pub PUB... [--envelope FILE]`: offline, no store needed. */
async function verifyProof(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit verify-proof',
    argv,
    {
      ...ORIGIN_OPT,
      proof: { type: 'string', required: true, arg: 'FILE', help: 'inclusion proof JSON (kfm audit prove)' },
      checkpoint: { type: 'string', required: true },
      ...WITNESS_OPTS,
      pub: { type: 'string', multiple: true },
      envelope: { type: 'string', arg: 'FILE', help: 'also check the proven entry holds this envelope' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Verify an inclusion proof offline against a signed checkpoint (no store needed).',
      example: 'audit verify-proof --proof proof.json --checkpoint cp.txt --pub keys/kfm-ci.pub',
      exits: '3 when the proof or checkpoint does not verify',
    },
  );
  const proofFile = requireOpt('audit verify-proof', values, 'proof');
  const cpFile = requireOpt('audit verify-proof', values, 'checkpoint');
  const trusted = trustedFrom('audit verify-proof', values);
  const policy = witnessPolicy('audit verify-proof', values);
  const cp = parseCheckpoint(readInputFile(cpFile, 'checkpoint').toString('utf8'), cpFile);
  verifyCheckpoint(cp, trusted, originFrom(values), cpFile);
  const witnessed = policy.quorum > 0 ? requireQuorum(cp, policy.witnesses, policy.quorum, cpFile) : undefined;
  const parsed = parseJsonText(readInputFile(proofFile, 'proof').toString('utf8'), proofFile, 'inclusion proof JSON');
  const bad = (what: string): never => {
    throw new ReceiptError('LOG_INTEGRITY', `${proofFile}: ${what}`);
  };
  // A malformed proof file is bad input (exit 2); a well-formed proof that fails is integrity (3).
  const malformed = (what: string): never => {
    throw new ReceiptError('INPUT_INVALID', `${proofFile}: not an inclusion proof: ${what}`);
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) malformed('not a JSON object');
  const raw = parsed as Partial<InclusionProofJson>;
  if (raw.v !== 'kfm-audit-inclusion-proof/1') malformed('field "v" is not "kfm-audit-inclusion-proof/1"');
  if (
    typeof raw.entry !== 'string' ||
    !Array.isArray(raw.hashes) ||
    !raw.hashes.every((h) => typeof h === 'string') ||
    !Number.isSafeInteger(raw.leafIndex) ||
    !Number.isSafeInteger(raw.treeSize) ||
    raw.leafIndex! < 0 ||
    raw.leafIndex! >= raw.treeSize!
  ) {
    malformed(
      'fields entry (base64), hashes (base64 strings), leafIndex and treeSize (0 <= leafIndex < treeSize) are required',
    );
  }
  const entry = Buffer.from(raw.entry!, 'base64');
  const hashes = raw.hashes!.map((h) => Buffer.from(String(h), 'base64'));
  if (hashes.some((h) => h.length !== HASH_SIZE)) bad('a proof hash is not 32 bytes');
  if (raw.treeSize !== cp.size) bad(`treeSize ${raw.treeSize} differs from the checkpoint's ${cp.size}`);
  if (!verifyInclusion(raw.leafIndex!, raw.treeSize!, leafHash(entry), hashes, cp.root)) {
    bad(`inclusion proof for leaf ${raw.leafIndex} does not verify against ${cpFile}`);
  }
  let envelopeDigest: string | undefined;
  try {
    const e = JSON.parse(entry.toString('utf8')) as { seq?: unknown; digest?: unknown };
    if (e.seq !== raw.leafIndex! + 1) bad(`entry seq ${String(e.seq)} is not leafIndex + 1`);
    envelopeDigest = String(e.digest);
  } catch (err) {
    if (err instanceof ReceiptError) throw err;
    bad('entry is not a ledger entry');
  }
  const envFile = typeof values.envelope === 'string' ? values.envelope : undefined;
  if (envFile) {
    const d = sha256Tagged(readInputFile(envFile, 'envelope'));
    if (d !== envelopeDigest) bad(`${envFile} has digest ${d}, the proven entry holds ${envelopeDigest}`);
  }
  io.stdout(
    JSON.stringify({
      ok: true,
      seq: raw.leafIndex! + 1,
      treeSize: cp.size,
      envelopeDigest,
      entryHash: entryHash(entry),
      ...(witnessed ? { witnesses: witnessed.cosigners } : {}),
    }) + '\n',
  );
  return 0;
}

/**
 * `list --store STORE [--env ENV] [--commit SHA] [--kind KIND] [--json]`: one line per entry: seq,
 * kind, env, commit, time, signer key id and digest. Signatures are not checked here (the key id
 * is as the envelope claims it): `kfm audit verify` checks them.
 */
async function list(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit list',
    argv,
    {
      ...STORE_OPTS,
      env: { type: 'string', help: 'only entries for this environment', default: 'all' },
      commit: { type: 'string', help: 'only entries for this commit (or a prefix of it, >= 7 hex)', default: 'all' },
      kind: { type: 'string', arg: 'KIND', help: `only this kind: ${ENTRY_KINDS.join(', ')}`, default: 'all' },
      json: { type: 'boolean', help: 'one JSON object per line', default: 'aligned columns with a header' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'List the ledger: seq, kind, env, commit, time, signer key id (unverified) and digest.',
      example: 'audit list --store .kfm/audit --env prod --kind approval',
    },
  );
  const kind = typeof values.kind === 'string' ? values.kind : undefined;
  if (kind !== undefined && !(ENTRY_KINDS as readonly string[]).includes(kind))
    throw new ReceiptError('USAGE', `kfm audit list: --kind must be one of ${ENTRY_KINDS.join(', ')}`);
  const envF = typeof values.env === 'string' ? values.env : undefined;
  const commitF = typeof values.commit === 'string' ? values.commit.toLowerCase() : undefined;
  if (commitF !== undefined && !/^[0-9a-f]{7,64}$/.test(commitF))
    throw new ReceiptError('USAGE', `kfm audit list: --commit is not a hex commit SHA (7-64 hex digits)`);
  const store = storeFrom('audit list', values, io);
  if (!values.json)
    io.stdout(
      `${'SEQ'.padEnd(8)} ${'KIND'.padEnd(9)} ${'ENV'.padEnd(5)} ${'COMMIT'.padEnd(12)} ${'TIME'.padEnd(24)} ${'SIGNER'.padEnd(16)} DIGEST\n`,
    );
  for await (const e of store.entries()) {
    const sum = summarizeEnvelope(e.envelopeBytes, store.entryName(e.seq));
    if (kind !== undefined && sum.kind !== (kind as EntryKind)) continue;
    if (envF !== undefined && sum.env !== envF) continue;
    if (commitF !== undefined && !(sum.commit ?? '').toLowerCase().startsWith(commitF)) continue;
    if (values.json)
      io.stdout(
        JSON.stringify({
          seq: e.seq,
          digest: e.digest,
          payloadType: sum.payloadType,
          predicateType: sum.predicateType,
          kind: sum.kind,
          env: sum.env,
          commit: sum.commit,
          time: sum.time,
          keyid: sum.keyid,
          verdict: sum.verdict,
        }) + '\n',
      );
    else
      io.stdout(
        [
          String(e.seq).padEnd(8),
          sum.kind.padEnd(9),
          printable(sum.env ?? '-', 5),
          printable((sum.commit ?? '-').slice(0, 12), 12),
          printable(sum.time ?? '-', 24),
          printable((sum.keyid ?? '-').slice(0, 16), 16),
          e.digest,
        ].join(' ') + '\n',
      );
  }
  return 0;
}

/** A column from signed-but-unverified input: no control characters, at most `w` wide. */
function printable(v: string, w: number): string {
  return v
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, Math.max(w, 20))
    .padEnd(w);
}

/** `get --store STORE --seq N`: the envelope bytes exactly as appended. */
async function get(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit get',
    argv,
    { ...STORE_OPTS, seq: { type: 'string', required: true } },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Print the envelope of one entry exactly as appended.',
      example: 'audit get --store .kfm/audit --seq 3 > entry.json',
    },
  );
  const seq = seqFrom('audit get', values);
  const store = storeFrom('audit get', values, io);
  const e = await store.get(seq);
  io.stdout(e.envelopeBytes.toString('utf8'));
  return 0;
}

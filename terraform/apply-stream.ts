import { ReceiptError } from '../core/errors';
import { syntaxKind, isObject } from '../core/json';
import { parseJsonNumbersExact } from '../core/exact-json';
import { checkJsonShape } from '../core/json-shape';
import { decodeJsonText } from './plan';

/**
 * The model of a `terraform apply -json` stream (Terraform's machine-readable UI: one JSON object
 * per line, `{"@level", "@message", "@module", "@timestamp", "type", ...}`), reduced to the facts a
 * receipt takes. Messages (`@message`), diagnostic details and provisioner output are never kept:
 * they can carry secrets in clear.
 */
export interface ApplyStreamFacts {
  /** `version` message `terraform` (first line; dropped by normalised streams) → null. */
  readonly terraformVersion: string | null;
  /** `version` message `ui`: the UI schema version, major 0 or 1. */
  readonly uiVersion: string | null;
  /** Messages read (non-blank lines). */
  readonly lines: number;
  /** `@timestamp` of the first and last message that has one; null when none does. */
  readonly firstTimestamp: string | null;
  readonly lastTimestamp: string | null;
  /** Count per message type, known types only (null prototype: keys come from the input). */
  readonly types: Record<string, number>;
  /** Count per unrecognised type (never fatal; null prototype, so `constructor` is just a name). */
  readonly unknownTypes: Record<string, number>;
  /** `apply_complete` per `hook.resource.addr`, as `hook.action` (create, update, delete, …), in stream order. */
  readonly completed: Map<string, string[]>;
  /** `hook.resource.addr` of each `apply_errored` message. */
  readonly erroredAddresses: Set<string>;
  /** `hook.resource.addr` of each `apply_start` message. */
  readonly started: Set<string>;
  /** `diagnostic` messages by `diagnostic.severity`. */
  readonly diagnostics: { error: number; warning: number };
  /** `diagnostic.address` of error diagnostics (absent when the error names no resource). */
  readonly diagnosticAddresses: Set<string>;
  /** The last `change_summary.changes` whose `operation` is not "plan" (`import` from 1.5); null when absent. */
  readonly changeSummary: {
    add: number;
    change: number;
    remove: number;
    import: number | null;
    operation: string | null;
  } | null;
  /** outputs message: name -> {sensitive, value?} (value only used to commit, never stored). A Map: `__proto__` is a name too. */
  readonly outputs: Map<string, { sensitive: boolean; value?: unknown; hasValue: boolean }> | null;
}

const KNOWN_TYPES = new Set([
  'version',
  'log',
  'diagnostic',
  'resource_drift',
  'planned_change',
  'planned_action_invocation',
  'change_summary',
  'outputs',
  'apply_start',
  'apply_progress',
  'apply_complete',
  'apply_errored',
  'provision_start',
  'provision_progress',
  'provision_complete',
  'provision_errored',
  'refresh_start',
  'refresh_complete',
  'ephemeral_op_start',
  'ephemeral_op_progress',
  'ephemeral_op_complete',
  'ephemeral_op_errored',
  'action_start',
  'action_progress',
  'action_complete',
  'action_errored',
  'init_output',
]);

function hookAddr(o: Record<string, unknown>): string | null {
  const h = o.hook;
  if (!isObject(h) || !isObject(h.resource)) return null;
  return typeof h.resource.addr === 'string' ? h.resource.addr : null;
}

function count(m: Record<string, number>, k: string): void {
  m[k] = (Object.prototype.hasOwnProperty.call(m, k) ? m[k]! : 0) + 1;
}

/** A table keyed by input: no prototype, so no key is inherited or taken as the prototype. */
function table(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** The facts as they are gathered, and the line of the first plan summary (a plan stream's mark). */
interface StreamState {
  readonly facts: { -readonly [K in keyof ApplyStreamFacts]: ApplyStreamFacts[K] };
  planSummaryLine?: number;
}

/** One message of a known type: the object, where it is (for errors) and its 1-based line. */
interface Message {
  readonly o: Record<string, unknown>;
  readonly type: string;
  readonly at: string;
  readonly line: number;
}

type Handler = (m: Message, state: StreamState) => void;

const invalid = (message: string) => new ReceiptError('APPLY_STREAM_INVALID', message);

/** `version`: the UI schema version must be major 0 or 1. */
function onVersion({ o, at }: Message, { facts }: StreamState): void {
  const ui = o.ui;
  if (typeof ui !== 'string' || !/^\d+(\.\d+)*$/.test(ui))
    throw invalid(`${at}: version.ui missing or not a version string`);
  const major = Number(ui.split('.')[0]);
  if (major !== 0 && major !== 1)
    throw invalid(`${at}: version.ui "${ui}" unsupported; expected UI schema major 0 or 1`);
  facts.uiVersion = ui;
  facts.terraformVersion = typeof o.terraform === 'string' ? o.terraform.slice(0, 64) : null;
}

/** `apply_start`, `apply_complete`, `apply_errored`: what each resource did, by address. */
function onApplyHook({ o, type, at }: Message, { facts }: StreamState): void {
  const addr = hookAddr(o);
  if (addr === null) throw invalid(`${at}: ${type}.hook.resource.addr missing`);
  if (type === 'apply_start') facts.started.add(addr);
  else if (type === 'apply_errored') facts.erroredAddresses.add(addr);
  else {
    const action = isObject(o.hook) && typeof o.hook.action === 'string' ? o.hook.action : 'unknown';
    const l = facts.completed.get(addr) ?? [];
    l.push(action);
    facts.completed.set(addr, l);
  }
}

/** `diagnostic`: counted by severity; an error's resource address kept. */
function onDiagnostic({ o }: Message, { facts }: StreamState): void {
  const d = o.diagnostic;
  const sev = isObject(d) ? d.severity : undefined;
  if (sev === 'error') {
    facts.diagnostics.error++;
    if (isObject(d) && typeof d.address === 'string') facts.diagnosticAddresses.add(d.address);
  } else if (sev === 'warning') facts.diagnostics.warning++;
}

/** `change_summary`: the last one not of the plan (`apply -json` of an unsaved plan prints that first). */
function onChangeSummary({ o, at, line }: Message, state: StreamState): void {
  const c = o.changes;
  if (!isObject(c)) throw invalid(`${at}: change_summary.changes missing`);
  for (const k of ['add', 'change', 'remove'] as const) {
    if (!Number.isInteger(c[k])) throw invalid(`${at}: change_summary.changes.${k} missing or not an integer`);
  }
  const operation = typeof c.operation === 'string' ? c.operation : null;
  if (operation === 'plan') {
    // Only a stream with nothing but plan summaries and no apply hooks is a plan stream (checked at the end).
    state.planSummaryLine ??= line;
    return;
  }
  state.facts.changeSummary = {
    add: c.add as number,
    change: c.change as number,
    remove: c.remove as number,
    import: Number.isInteger(c.import) ? (c.import as number) : null,
    operation,
  };
}

/** `outputs`: each output's sensitivity and value (the value only to commit to, never stored). */
function onOutputs({ o }: Message, { facts }: StreamState): void {
  const outs = o.outputs;
  if (!isObject(outs)) return;
  const m: NonNullable<ApplyStreamFacts['outputs']> = new Map();
  for (const name of Object.keys(outs)) {
    const v = outs[name];
    if (!isObject(v)) continue;
    m.set(name, { sensitive: v.sensitive === true, hasValue: 'value' in v, value: v.value });
  }
  facts.outputs = m;
}

/** The message types a receipt takes facts from; every other known type is only counted. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  version: onVersion,
  apply_start: onApplyHook,
  apply_complete: onApplyHook,
  apply_errored: onApplyHook,
  diagnostic: onDiagnostic,
  change_summary: onChangeSummary,
  outputs: onOutputs,
};

/** One line as a stream message (an object with a string `type`), or an error saying what it is instead. */
function parseMessage(line: string, at: string, first: boolean): Record<string, unknown> & { type: string } {
  let o: unknown;
  try {
    // Output values are committed: keep numbers a double cannot hold exact (cheap scan first).
    o = line.includes('"outputs"') ? parseJsonNumbersExact(line) : JSON.parse(line);
  } catch (e) {
    if (first && (line === '{' || line === '['))
      throw invalid(
        `${at}: a pretty-printed JSON document, not an apply stream; pass the stdout of "terraform apply -json PLANFILE"`,
      );
    throw invalid(
      `${at}: not a JSON object (${syntaxKind(e)}); expected one JSON message per line from "terraform apply -json"`,
    );
  }
  if (Array.isArray(o)) throw invalid(`${at}: a JSON array, not a stream message; expected one JSON object per line`);
  if (!isObject(o)) throw invalid(`${at}: not a JSON object; expected one JSON message per line`);
  if (typeof o.type !== 'string') {
    if ('format_version' in o)
      throw invalid(
        `${at}: type missing; this is a plan or state JSON (terraform show -json), not an apply stream; pass the stdout of "terraform apply -json PLANFILE"`,
      );
    throw invalid(`${at}: type missing or not a string`);
  }
  return o as Record<string, unknown> & { type: string };
}

function emptyFacts(): StreamState['facts'] {
  return {
    terraformVersion: null,
    uiVersion: null,
    lines: 0,
    firstTimestamp: null,
    lastTimestamp: null,
    types: table(),
    unknownTypes: table(),
    completed: new Map(),
    erroredAddresses: new Set(),
    started: new Set(),
    diagnostics: { error: 0, warning: 0 },
    diagnosticAddresses: new Set(),
    changeSummary: null,
    outputs: null,
  };
}

/** Take one message: count it, note its time, and hand a known type to its handler. */
function take(o: Record<string, unknown> & { type: string }, at: string, line: number, state: StreamState): void {
  const { facts } = state;
  facts.lines++;
  const ts = o['@timestamp'];
  if (typeof ts === 'string') {
    facts.firstTimestamp ??= ts;
    facts.lastTimestamp = ts;
  }
  const type = o.type;
  if (!KNOWN_TYPES.has(type)) {
    count(facts.unknownTypes, type.length <= 64 && /^[a-z0-9_]+$/.test(type) ? type : '(unnamed)');
    return;
  }
  count(facts.types, type);
  if (Object.hasOwn(HANDLERS, type)) HANDLERS[type]!({ o, type, at, line }, state);
}

/** A stream of plan summaries only (no apply hook, no apply summary) is a plan stream; none at all is no stream. */
function checkWhole(source: string, { facts, planSummaryLine }: StreamState): void {
  const hooks = (facts.types.apply_start ?? 0) + (facts.types.apply_complete ?? 0) + (facts.types.apply_errored ?? 0);
  if (planSummaryLine !== undefined && facts.changeSummary === null && hooks === 0)
    throw invalid(
      `${source}: line ${planSummaryLine}: change_summary.changes.operation is "plan" and there is no apply: this is a plan -json stream, not an apply stream; pass the stdout of "terraform apply -json PLANFILE"`,
    );
  if (facts.lines === 0)
    throw invalid(`${source}: no messages; expected the stdout of "terraform apply -json PLANFILE"`);
}

/**
 * Parse an apply stream: one JSON object per line, dispatched on `type` to a handler; blank lines
 * and a missing final newline are fine; anything else fails naming the line. A plan JSON, a JSON
 * array or a plan -json stream is refused with a message saying what it is.
 */
export function parseApplyStream(data: Buffer | string, source: string): ApplyStreamFacts {
  // UTF-16 (PowerShell's `>`) is refused with the fix; a UTF-8 byte-order mark is skipped.
  const text = decodeJsonText(data, source, 'apply stream', 'terraform apply -json PLANFILE');
  if (/^\s*$/.test(text)) throw new ReceiptError('FILE_EMPTY', `${source}: apply stream is empty`);
  const state: StreamState = { facts: emptyFacts() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const at = `${source}: line ${i + 1}`;
    const message = parseMessage(line, at, i === 0);
    checkJsonShape(line, at, 'apply stream message');
    take(message, at, i + 1, state);
  }
  checkWhole(source, state);
  return state.facts;
}

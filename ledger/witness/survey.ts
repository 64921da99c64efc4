/**
 * Where each configured witness stands against the ledger (the setup check, scripts/doctor.sh,
 * through `kfm audit witnesses`): reachable at all, and holding the same tree as the ledger's
 * newest log-signed checkpoint, a smaller one (behind) or a larger one (ahead).
 *
 * A witness is asked as a gate asks it (`askHeldSize`, ledger/witness/client.ts): the newest
 * checkpoint is submitted as an extension of itself, so a witness holding it answers 200 with a
 * cosignature under its configured key, any other answers 409 with the size it holds, and one
 * holding another tree of that size answers 422. Nothing it holds changes. With no checkpoint in
 * the ledger yet there is nothing to compare: the witness is only asked to answer at all.
 */
import { TrustedKey } from '../../attest/sign/ed25519';
import { isReceiptError } from '../../core/errors';
import { parseCheckpoint, verifyCheckpoint } from '../checkpoint';
import { checkpointPathParts, CHECKPOINTS_DIR } from '../layout';
import { AuditStore } from '../store';
import { askHeldSize, askReachable, WitnessEndpoint } from './client';

export type WitnessState = 'current' | 'behind' | 'ahead' | 'forked' | 'unreachable' | 'refused' | 'reachable';

export interface WitnessStanding {
  readonly witness: string;
  readonly url: string;
  /**
   * `current` holds the ledger's newest checkpoint; `behind` / `ahead` a smaller / larger tree;
   * `forked` another tree of the same size; `unreachable` no HTTP answer; `refused` an error
   * answer (wrong key, origin, or not a witness); `reachable` answered, nothing to compare.
   */
  readonly state: WitnessState;
  /** The tree size it holds, when it said. */
  readonly held?: number;
  /** What it answered, one line. */
  readonly answer: string;
  /** What to do, when anything (absent for `current`). */
  readonly fix?: string;
}

export interface WitnessSurvey {
  /** Entries in the ledger. */
  readonly entries: number;
  /** The newest checkpoint in the store that verifies under the log's key(s). */
  readonly checkpoint?: { readonly name: string; readonly size: number };
  readonly witnesses: readonly WitnessStanding[];
}

export interface SurveyOptions {
  readonly endpoints: readonly WitnessEndpoint[];
  /** The log's checkpoint key(s). */
  readonly logKeys: readonly TrustedKey[];
  readonly origin: string;
  /** @default 10 000 */
  readonly timeoutMs?: number;
}

const INCIDENT = 'treat it as an incident (docs/runbooks/incident.md); do not reset the witness';

/** The newest stored checkpoint that verifies under `keys` (largest size first; junk skipped). */
async function newestCheckpoint(
  store: AuditStore,
  keys: readonly TrustedKey[],
  origin: string,
): Promise<{ name: string; size: number; note: string } | undefined> {
  const names = (await store.listDerived(CHECKPOINTS_DIR))
    .map((n) => ({ n, parts: checkpointPathParts(n) }))
    .filter((x) => x.parts !== undefined)
    .sort((a, b) => b.parts!.size - a.parts!.size);
  for (const { n, parts } of names) {
    const bytes = await store.getDerived(`${CHECKPOINTS_DIR}/${parts!.file}`);
    if (bytes === undefined) continue;
    const name = store.derivedName(n);
    try {
      const cp = parseCheckpoint(bytes.toString('utf8'), name);
      verifyCheckpoint(cp, keys, origin, name);
      if (cp.size !== parts!.size) continue; // a note under another size's name is junk
      return { name, size: cp.size, note: bytes.toString('utf8') };
    } catch (e) {
      if (!isReceiptError(e)) throw e;
    }
  }
  return undefined;
}

function refusedFix(answer: string, name: string, origin: string): string {
  if (answer.includes('403'))
    return `it does not trust the log's key: run it with --log ${origin}=keys/kfm-ci.pub (deploy/witness/README.md)`;
  if (answer.includes('404')) return `it does not witness ${origin}: add --log ${origin}=keys/kfm-ci.pub to its unit`;
  if (answer.includes('cosignature'))
    return `its answer is not signed by the committed key of ${name}: check keys/witnesses/ and the URL in KFM_WITNESSES`;
  return 'check that the URL in KFM_WITNESSES is this witness (deploy/witness/README.md)';
}

/** Ask every witness (in parallel) where it stands against the ledger. Never throws for what a witness does. */
export async function surveyWitnesses(store: AuditStore, o: SurveyOptions): Promise<WitnessSurvey> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const entries = await store.size();
  const cp = await newestCheckpoint(store, o.logKeys, o.origin);
  const unreachableFix = `start it, or fix its URL in KFM_WITNESSES (deploy/witness/README.md; KFM_WITNESS_TIMEOUT bounds the wait)`;
  const witnesses = await Promise.all(
    o.endpoints.map(async (ep): Promise<WitnessStanding> => {
      const base = { witness: ep.witness.name, url: ep.url };
      if (cp === undefined) {
        const r = await askReachable(ep.url, timeoutMs);
        return r.reachable
          ? { ...base, state: 'reachable', answer: `${r.answer}; the ledger has no checkpoint to compare yet` }
          : { ...base, state: 'unreachable', answer: r.answer, fix: unreachableFix };
      }
      const h = await askHeldSize(ep, cp.note, cp.size, timeoutMs);
      if (h.conflict === true)
        return {
          ...base,
          state: 'forked',
          answer: h.answer,
          fix: `the ledger's tree of size ${cp.size} is not the one it cosigned: ${INCIDENT}`,
        };
      if (h.held === undefined) {
        const unreachable = /^(unreachable|no answer)/.test(h.answer);
        return unreachable
          ? { ...base, state: 'unreachable', answer: h.answer, fix: unreachableFix }
          : { ...base, state: 'refused', answer: h.answer, fix: refusedFix(h.answer, ep.witness.name, o.origin) };
      }
      const held = h.held;
      if (held === cp.size) return { ...base, state: 'current', held, answer: h.answer };
      if (held < cp.size)
        return {
          ...base,
          state: 'behind',
          held,
          answer: h.answer,
          fix: `run scripts/cosign.sh (it sends the consistency proof from ${held} to ${entries})`,
        };
      return {
        ...base,
        state: 'ahead',
        held,
        answer: h.answer,
        fix:
          held > entries
            ? `the ledger has only ${entries} entries: it was truncated or rolled back: ${INCIDENT}`
            : `a newer witnessed checkpoint (tree size ${held}) is missing from the store: run scripts/cosign.sh; if the witness refuses, ${INCIDENT}`,
      };
    }),
  );
  return { entries, ...(cp ? { checkpoint: { name: cp.name, size: cp.size } } : {}), witnesses };
}

import { Env } from '../core/vocabulary';
import { hexOf } from '../attest/pipeline-statement';
import { PREDICATE_KINDS } from '../attest/predicate-types';
import { Subject } from '../attest/statement';
import { Evidence, evidenceOf } from './evidence';
import { LedgerJudged } from './ledger';
import { GateItem } from './promote';

/**
 * Gate G: the release manifest of one promotion. Its in-toto subjects are every record the
 * decision relied on (by envelope digest) and the ledger root judged; the predicate also names
 * the ledger size and whether the read was anchored by a trusted checkpoint.
 */
export function promotionManifest(
  to: Env,
  commit: string,
  items: readonly GateItem[],
  evidence: readonly Evidence[],
  ledger: LedgerJudged,
  at: string,
): { subject: Subject[]; predicate: Record<string, unknown> } {
  const plans = new Map(evidenceOf(evidence, 'plan').map((e) => [e.seq, e]));
  const approvals = new Map(evidenceOf(evidence, 'approval').map((e) => [e.seq, e]));
  const plan = items.find((i) => i.requirement === `${to} plan receipt`);
  const planEv = plan?.seq !== undefined ? plans.get(plan.seq) : undefined;
  const relied = items.filter((i) => i.digest);
  const subject: Subject[] = relied.map((i) => ({ name: i.requirement, digest: { sha256: hexOf(i.digest!) } }));
  subject.push({
    name: `ledger-root:${ledger.size}`,
    digest: { sha256: Buffer.from(ledger.root, 'base64').toString('hex') },
  });
  const predicate = {
    kind: PREDICATE_KINDS.promotion,
    env: to,
    repo: { commit },
    evidence: relied.map((i) => ({ requirement: i.requirement, digest: i.digest, seq: i.seq })),
    policy: {
      bundle_digest: planEv?.predicate.policy?.bundle_digest ?? null,
    },
    approvals: items
      .filter((i) => i.requirement === 'prod approval' && i.seq !== undefined)
      .map((i) => {
        const a = approvals.get(i.seq!)?.predicate;
        return { digest: i.digest, principal: a?.principal ?? null, change_record: a?.change_record ?? null };
      }),
    ledger: {
      size: ledger.size,
      root: ledger.root,
      anchored: ledger.anchored,
      checkpoints: ledger.checkpoints.map((c) => ({
        size: c.size,
        ...(c.witnessed !== undefined ? { witnessed: c.witnessed, cosigners: c.cosigners ?? [] } : {}),
      })),
      ...(ledger.witnessed
        ? {
            witnessed: {
              size: ledger.witnessed.size,
              quorum: ledger.witnessed.quorum,
              cosigners: ledger.witnessed.cosigners,
            },
          }
        : {}),
    },
    timestamps: { promoted: at },
  };
  return { subject: dedupe(subject), predicate };
}

function dedupe(xs: Subject[]): Subject[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(x.digest.sha256!) ? false : (seen.add(x.digest.sha256!), true)));
}

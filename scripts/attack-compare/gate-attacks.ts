/**
 * Issue 24's gate attacks 1–3, each with only the attacker's access, on one store kind, against
 * one CLI: (1) a witnessed gate rolled back by an old witnessed note copied under a name that
 * sorts last, and by the newest witnessed note deleted; (2) one key in two roles (one approver
 * key under two logins; the log key as a witness, served by `kfm witness serve`); (3) an
 * approver's re-signed copy of a failing CI record appended first.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import type { Ledger } from '../../__tests__/gates/support/evidence';
import { RawStore } from '../../__tests__/gates/support/stores';
import {
  appendFrom,
  cosign,
  goodLedger,
  Keys,
  kfm,
  ledgerKeyArgs,
  line,
  Outcome,
  Run,
  Side,
  startWitness,
  stopWitnesses,
  Witness,
  witnessFlags,
} from './lib';

const promote = (s: Side, raw: RawStore, spec: string, k: Keys, approvers: string[], extra: string[] = []): Run =>
  kfm(s, raw.env, [
    ...['gate', 'promote', '--to', 'prod', '--store', spec, '--pub', k.ciPub],
    ...approvers.flatMap((a) => ['--approver', a]),
    ...['--commit', s.ev.COMMIT, ...extra],
  ]);

async function twoWitnesses(s: Side, dir: string, k: Keys): Promise<Witness[]> {
  const ws = await Promise.all([startWitness(s, dir, 'cmp/w1', k.ciPub), startWitness(s, dir, 'cmp/w2', k.ciPub)]);
  for (const w of ws) if (!('child' in w)) throw new Error(`${s.label} witness serve exited ${w.code}: ${w.stderr}`);
  return ws as Witness[];
}

/**
 * 1. The stage smoke fails after an honest witnessed promotion state; both witnesses cosign the
 * tree that holds it. (a) The appender deletes the newest witnessed note (on S3 under Object Lock:
 * a delete marker), then puts it back; (b) the appender copies the older witnessed note under a
 * name that sorts last. The gate must still block.
 */
export async function staleWitnessedAnchor(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const ws = await twoWitnesses(s, join(dir, 'w'), k);
  try {
    const spec = raw.newSpec(`${s.label}-stale`);
    const l = goodLedger(s);
    appendFrom(s, raw, spec, join(dir, 'e'), l);
    const older = await cosign(s, raw, spec, k, ws);
    l.smoke('stage', 'fail');
    appendFrom(s, raw, spec, join(dir, 'e'), l, l.entries.length);
    const newest = await cosign(s, raw, spec, k, ws);
    const gate = () => promote(s, raw, spec, k, [`reviewer=${k.reviewerPub}`], witnessFlags(s, ws));
    const honest = gate();
    await raw.remove(spec, newest.path);
    const deleted = gate();
    await raw.put(spec, newest.path, Buffer.from(newest.note));
    await raw.put(spec, 'checkpoints/999999999999.ffffffff.txt', Buffer.from(older.note));
    const copied = gate();
    const verify = kfm(s, raw.env, [
      ...['audit', 'verify', '--store', spec, ...ledgerKeyArgs(s, k)],
      ...ws.flatMap((w) => ['--witness', `${w.name}=${w.pub}`]),
      ...['--quorum', '2'],
    ]);
    const show = (r: Run) => line(r, /BLOCKED/, /^ok +audit ledger|kfm: /);
    return {
      codes: `honest=${honest.code} newest-deleted:gate=${deleted.code} older-copied-last:gate=${copied.code} verify=${verify.code}`,
      line: `deleted: ${show(deleted)} | copied: ${show(copied)}`,
      holds: honest.code === 1 && copied.code === 1 && deleted.code === 1,
    };
  } finally {
    stopWitnesses(ws);
  }
}

/**
 * 2a. The author's key is listed under her login and under a second one (bob); she approves her
 * own prod plan as bob. The gate must refuse the configuration (or the approval).
 */
export async function oneKeyTwoLogins(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const spec = raw.newSpec(`${s.label}-two-logins`);
  const authorPub = join(dir, 'author.pub');
  const bobPub = join(dir, 'bob.pub');
  mkdirSync(dir, { recursive: true });
  const { author } = s.ev;
  writeFileSync(authorPub, author.publicPem);
  writeFileSync(bobPub, author.publicPem);
  const l = new s.ev.Ledger(s.pin);
  l.provenTier('dev');
  l.provenTier('stage');
  l.approve(l.plan('prod'), 'bob', author.signing);
  appendFrom(s, raw, spec, join(dir, 'e'), l);
  const alone = promote(s, raw, spec, k, [`author=${authorPub}`]);
  const twice = promote(s, raw, spec, k, [`author=${authorPub}`, `bob=${bobPub}`]);
  return {
    codes: `author-key-once=${alone.code} author-key-as-author-and-bob=${twice.code}`,
    line: line(twice, /BLOCKED|^ok +prod approval|kfm: |same public key/),
    holds: alone.code === 1 && twice.code !== 0,
  };
}

/**
 * 2b. The holder of the CI (log) key runs `kfm witness serve` with the log key, has it cosign a
 * checkpoint of the tree before a failing stage smoke (a rollback), stores that note, and the gate
 * is configured with the log key as its witness. The witness must refuse to serve and the gate
 * must refuse the configuration.
 */
export async function logKeyWitness(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const { ci } = s.ev;
  const self = await startWitness(s, join(dir, 'w'), 'ci/w', k.ciPub, ci);
  const served = 'child' in self ? 'serves' : `exit=${self.code}`;
  try {
    const spec = raw.newSpec(`${s.label}-log-key-witness`);
    const l = goodLedger(s);
    appendFrom(s, raw, spec, join(dir, 'e'), l);
    // The rolled-back tree (before the failing smoke), "witnessed" by the log key itself.
    let rollback = '(witness refused to serve)';
    if ('child' in self) rollback = (await cosign(s, raw, spec, k, [self], 1)).note;
    l.smoke('stage', 'fail');
    appendFrom(s, raw, spec, join(dir, 'e'), l, l.entries.length);
    if ('child' in self) await raw.put(spec, 'checkpoints/999999999999.ffffffff.txt', Buffer.from(rollback));
    const ciAsWitness = join(dir, 'ci-as-witness.pub');
    writeFileSync(ciAsWitness, ci.publicPem);
    const g = promote(
      s,
      raw,
      spec,
      k,
      [`reviewer=${k.reviewerPub}`],
      [
        ...['--witness', `ci/w=${ciAsWitness}`, '--quorum', '1'],
        ...('child' in self && s.label === 'new' ? ['--witness-url', `ci/w=${self.url}`] : []),
      ],
    );
    const why = 'child' in self ? '' : `${line(self, /kfm: /)} | `;
    return {
      codes: `witness-serve-with-log-key=${served} gate=${g.code}`,
      line: `${why}${line(g, /BLOCKED|^ok +audit ledger|kfm: /)}`,
      holds: !('child' in self) && g.code === 2,
    };
  } finally {
    if ('child' in self) stopWitnesses([self]);
  }
}

/** The digest of the newest stage apply of `l` (what a stage smoke record binds to). */
function stageApply(l: Ledger): string {
  for (let i = l.entries.length - 1; i >= 0; i--) {
    const env = JSON.parse(l.entries[i]!.envelopeBytes.toString('utf8')) as { payload: string };
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    if (st.predicateType.includes('apply') && st.predicate.env === 'stage')
      return `sha256:${createHash('sha256').update(l.entries[i]!.envelopeBytes).digest('hex')}`;
  }
  throw new Error('no stage apply');
}

/**
 * 3. The stage smoke fails; an approver re-signs its payload with their own key and appends the
 * copy first. The gate (full read, and by proof from a witnessed pin) must still block on it.
 */
export async function resignedCopyFirst(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const ws = await twoWitnesses(s, join(dir, 'w'), k);
  try {
    const spec = raw.newSpec(`${s.label}-resigned`);
    const l = goodLedger(s);
    l.smoke('stage', 'fail', stageApply(l));
    const real = l.entries.pop()!;
    const env = JSON.parse(real.envelopeBytes.toString('utf8')) as { payload: string; payloadType: string };
    const copy = signEnvelope(env.payloadType, Buffer.from(env.payload, 'base64'), s.ev.reviewer.signing);
    l.entries.push(
      { seq: real.seq, envelopeBytes: Buffer.from(serializeEnvelope(copy)) },
      { seq: real.seq + 1, envelopeBytes: real.envelopeBytes },
    );
    appendFrom(s, raw, spec, join(dir, 'e'), l);
    const cp = await cosign(s, raw, spec, k, ws);
    const pin = join(dir, 'pin.txt');
    writeFileSync(pin, cp.note);
    const full = promote(s, raw, spec, k, [`reviewer=${k.reviewerPub}`]);
    const proof = promote(
      s,
      raw,
      spec,
      k,
      [`reviewer=${k.reviewerPub}`],
      ['--checkpoint', pin, ...witnessFlags(s, ws)],
    );
    const verify = kfm(s, raw.env, ['audit', 'verify', '--store', spec, ...ledgerKeyArgs(s, k)]);
    return {
      codes: `full-read=${full.code} by-proof=${proof.code} verify=${verify.code}`,
      line: line(full, /BLOCKED stage validation|^ok +stage validation|kfm: /),
      holds: full.code === 1 && proof.code === 1,
    };
  } finally {
    stopWitnesses(ws);
  }
}

/**
 * 7b. `kfm gate evidence` (what drift.sh and smoke.sh bind their records to) with the witnesses:
 * a newer stage apply is appended and cosigned, then the appender deletes the newest witnessed
 * note. The evidence must not roll back to the older apply.
 */
export async function evidenceRolledBack(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome> {
  const ws = await twoWitnesses(s, join(dir, 'w'), k);
  try {
    const spec = raw.newSpec(`${s.label}-evidence-rollback`);
    const l = goodLedger(s);
    appendFrom(s, raw, spec, join(dir, 'e'), l);
    await cosign(s, raw, spec, k, ws);
    l.apply('stage', `sha256:${'9'.repeat(64)}`);
    appendFrom(s, raw, spec, join(dir, 'e'), l, l.entries.length);
    const newest = await cosign(s, raw, spec, k, ws);
    await raw.remove(spec, newest.path);
    const out = join(dir, 'stage.apply.json');
    const e = kfm(s, raw.env, [
      ...['gate', 'evidence', '--kind', 'apply', '--env', 'stage', '--store', spec, '--pub', k.ciPub],
      ...['--approver', `reviewer=${k.reviewerPub}`, '--out', out, ...witnessFlags(s, ws)],
    ]);
    const wrote = existsSync(out)
      ? readFileSync(out).equals(l.entries[l.entries.length - 1]!.envelopeBytes)
        ? 'the newest apply'
        : 'an OLDER apply'
      : 'nothing';
    return {
      codes: `gate-evidence=${e.code} (wrote ${wrote})`,
      line: line(e, /kfm: /, /./),
      holds: e.code !== 0 || wrote === 'the newest apply',
    };
  } finally {
    stopWitnesses(ws);
  }
}

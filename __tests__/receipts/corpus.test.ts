/**
 * Every plan, state and stream in the Terraform fixture corpus goes through the receipt parsers;
 * the plan summary equals Terraform's own change_summary wherever the corpus has the stream.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseApplyStream } from '../../terraform/apply-stream';
import { buildApplyStatement } from '../../receipts/apply/build-apply-receipt';
import { buildDriftStatement } from '../../receipts/drift/build-drift-receipt';
import { isReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { buildPlanStatement, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { parsePlanDocument } from '../../terraform/plan';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { keyIdOf, SigningKey } from '../../attest/sign/ed25519';
import { readVerifiedStatement, signStatement } from '../../attest/statement';
import { GEN, TF, walk } from './helpers';

const kp = generateKeyPairSync('ed25519');
const signing: SigningKey = { privateKey: kp.privateKey, publicKey: kp.publicKey, keyid: keyIdOf(kp.publicKey) };
const trusted = [{ publicKey: kp.publicKey, keyid: signing.keyid, source: 'test' }];
const ctx: ReceiptContext = {
  env: 'dev',
  repo: { commit: 'abcdef1', branch: 'main', source: 'flag', branch_source: 'flag' },
  actor: { principal: 'test', method: 'ci', source: 'flag' },
  commitmentKey: deriveCommitmentKey(kp.privateKey),
};

const jsonFiles = walk(TF).filter((f) => f.endsWith('.json') && !f.startsWith('ui-json/diagnostic/'));
const streamFiles = [
  ...walk(TF)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(TF, f)),
  ...walk(GEN)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(GEN, f)),
];

/** Why a corpus JSON file is not a plan, by path; anything not listed must parse as a plan. */
function expectedNonPlan(f: string): RegExp | null {
  if (/^terraform-json-testdata\/invalid\//.test(f)) return /not valid plan JSON/;
  if (
    /(^|\/)(state|show-state|[^/]*\.show-state)\.json$|show-state\.json$|\/state\.json$|show-json\/state\.[a-z-]+\.json$|moved_block\/show\.json$/.test(
      f,
    )
  )
    return /looks like a state/;
  if (/^equivalence\/[^/]+\/apply\.json$/.test(f)) return /JSON array/;
  if (/^cloud\/(?!plan-import-config-gen).*\.plan-redacted\.json$|^cloud\/views\.redacted-plan\.json$/.test(f))
    return /format_version missing/;
  if (/^terraform-json-testdata\/invalid\//.test(f)) return /not valid plan JSON/;
  if (/equivalence\/[^/]+\/output\.json$|functions\.json$|single_store\.json$/.test(f))
    return /format_version missing|resource_changes\/planned_values\/configuration missing/;
  return null;
}

function lastChangeSummary(text: string): Record<string, number | string> | null {
  let found: Record<string, number | string> | null = null;
  for (const line of text.split('\n')) {
    if (!line.includes('"change_summary"')) continue;
    const o = JSON.parse(line);
    if (o.type === 'change_summary') found = o.changes;
  }
  return found;
}

describe('plan JSON corpus', () => {
  it.each(jsonFiles)('handles %s', (f) => {
    const path = join(TF, f);
    const expectErr = expectedNonPlan(f);
    let err: unknown;
    try {
      const doc = parsePlanDocument(readFileSync(path), path);
      const st = buildPlanStatement(
        doc,
        path,
        { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(readFileSync(path)) },
        ctx,
        null,
      );
      signStatement(st, signing); // schema-validates
      buildDriftStatement(doc, path, { planJsonName: 'plan.json', planJsonDigest: sha256Tagged('x') }, ctx, null);
    } catch (e) {
      err = e;
    }
    if (expectErr === null) {
      expect(err).toBeUndefined();
    } else {
      expect(isReceiptError(err)).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toMatch(expectErr);
      expect(msg.startsWith(path)).toBe(true);
      expect(msg).not.toMatch(/\n/);
    }
  });

  it('parses exactly the 111 plan documents FORMATS.md counts', () => {
    expect(jsonFiles.filter((f) => expectedNonPlan(f) === null)).toHaveLength(111);
  });
});

/** [plan JSON, stream with Terraform's change_summary for the same plan]. */
function planStreamPairs(): [string, string][] {
  const pairs: [string, string][] = [];
  for (const root of [join(TF, 'generated-tf1.11.4'), GEN]) {
    for (const f of walk(root).filter((x) => x.endsWith('.show-plan.json'))) {
      const s = join(root, f.replace('.show-plan.json', '.plan.jsonl'));
      if (existsSync(s)) pairs.push([join(root, f), s]);
    }
  }
  // Not paired: cloud/*.plan-unredacted.json (Terraform 1.4.4) and ui-json/cloud.*.plan.jsonl (1.3.7)
  // come from different runs (plan-json-full even plans different actions), so they are no golden.
  for (const f of walk(join(TF, 'equivalence')).filter((x) => x.endsWith('/plan.json'))) {
    const c = f.split('/')[0]!;
    const s = join(TF, 'ui-json', 'equivalence', `${c}.apply.jsonl`);
    if (existsSync(s)) pairs.push([join(TF, 'equivalence', f), s]);
  }
  return pairs;
}

describe("summary equals Terraform's change_summary", () => {
  const pairs = planStreamPairs().filter(([, s]) => lastChangeSummary(readFileSync(s, 'utf8')) !== null);
  it('covers the generated and equivalence cases', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(55);
  });
  it.each(pairs)('%s', (planPath, streamPath) => {
    const cs = lastChangeSummary(readFileSync(streamPath, 'utf8'))!;
    const doc = parsePlanDocument(readFileSync(planPath), planPath);
    const s = buildPlanStatement(doc, planPath, { planJsonName: 'p', planJsonDigest: sha256Tagged('p') }, ctx, null)
      .predicate.summary;
    expect({ add: s.add, change: s.change, remove: s.remove }).toEqual({
      add: cs.add,
      change: cs.change,
      remove: cs.remove,
    });
    if (typeof cs.import === 'number' && cs.operation === 'plan') expect(s.import).toBe(cs.import);
  });
});

describe('UI stream corpus', () => {
  it.each(streamFiles.map((f) => [f.slice(f.indexOf('fixtures/receipts/') + 18), f]))('handles %s', (_name, f) => {
    const text = readFileSync(f, 'utf8');
    const cs = lastChangeSummary(text);
    let err: unknown;
    try {
      parseApplyStream(text, f);
    } catch (e) {
      err = e;
    }
    const planOnly = cs?.operation === 'plan' && !/"type":"apply_(start|complete|errored)"/.test(text);
    if (planOnly) {
      expect((err as Error)?.message).toMatch(/plan -json stream, not an apply stream/);
    } else if (/views-tests\.transcribed|docs\.machine-readable|docs-v1\.15/.test(f)) {
      // Hand-written examples: a line may be any shape; any failure must still be one clean line.
      if (err) expect((err as Error).message).toMatch(/^.*line \d+/);
    } else {
      expect(err).toBeUndefined();
    }
  });
});

/** [plan JSON, apply stream] for every corpus apply we have the plan of. */
function planApplyPairs(): [string, string][] {
  const pairs: [string, string][] = [];
  for (const root of [join(TF, 'generated-tf1.11.4'), GEN]) {
    for (const f of walk(root).filter((x) => x.endsWith('.apply.jsonl'))) {
      const p = join(root, f.replace('.apply.jsonl', '.show-plan.json'));
      if (existsSync(p)) pairs.push([p, join(root, f)]);
    }
  }
  for (const f of walk(join(TF, 'ui-json', 'equivalence'))) {
    const p = join(TF, 'equivalence', f.replace('.apply.jsonl', ''), 'plan.json');
    if (existsSync(p)) pairs.push([p, join(TF, 'ui-json', 'equivalence', f)]);
  }
  return pairs;
}

describe('apply receipts over the corpus', () => {
  const pairs = planApplyPairs();
  it('covers the generated and equivalence applies', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(50);
  });
  it.each(pairs)('%s + %s: completed counts equal the apply change_summary', (planPath, streamPath) => {
    const planBytes = readFileSync(planPath);
    const doc = parsePlanDocument(planBytes, planPath);
    const pst = buildPlanStatement(
      doc,
      planPath,
      { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(planBytes) },
      ctx,
      null,
    );
    const signed = signStatement(pst, signing);
    const pr = readVerifiedStatement(signed.bytes, 'plan.receipt.json', trusted);
    const text = readFileSync(streamPath, 'utf8');
    const facts = parseApplyStream(text, streamPath);
    const st = buildApplyStatement(
      facts,
      pr,
      'plan.receipt.json',
      { streamName: 'apply.jsonl', streamDigest: sha256Tagged(text), planReceiptName: 'plan.receipt.json' },
      ctx,
    );
    signStatement(st, signing);
    const p = st.predicate as {
      summary: {
        status: string;
        add: number;
        change: number;
        remove: number;
        errored: string[];
        not_applied: string[];
      };
      plan_receipt: { digest: string };
    };
    expect(p.plan_receipt.digest).toBe(signed.digest);
    const cs = lastChangeSummary(text);
    if (cs) {
      expect({ add: p.summary.add, change: p.summary.change, remove: p.summary.remove }).toEqual({
        add: cs.add,
        change: cs.change,
        remove: cs.remove,
      });
      expect(p.summary.status).toBe('applied');
      expect(p.summary.not_applied).toEqual([]);
    } else if (facts.diagnostics.error > 0 || facts.erroredAddresses.size > 0) {
      expect(p.summary.status).toBe('failed');
      expect(p.summary.errored.length).toBeGreaterThan(0);
    } else {
      // No final summary and no error: the stream was cut (an apply killed mid-run).
      expect(p.summary.status).toBe('incomplete');
    }
  });
});

/**
 * The one plan reader: every plan file in the corpus (public plans from other projects, the
 * Terraform maintainers' outputs, plans made here by the real Terraform) is accepted or refused the
 * same way by receipts and policy; counts equal an oracle written from Terraform's documented
 * action definitions; and the edge cases of real plans are read, or refused with one line.
 */
import { generateKeyPairSync, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyIdOf, SigningKey } from '../../attest/sign/ed25519';
import { signStatement } from '../../attest/statement';
import { isReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { checkPolicy } from '../../policy/check';
import { buildPlanStatement, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { buildDriftStatement } from '../../receipts/drift/build-drift-receipt';
import { buildApplyStatement } from '../../receipts/apply/build-apply-receipt';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { readVerifiedStatement } from '../../attest/statement';
import { parseApplyStream } from '../../terraform/apply-stream';
import { parsePlanDocument } from '../../terraform/plan';
import { FIXTURES, GEN, TF, keypair, kfm, PROV, tmp, walk } from '../receipts/helpers';

const PUBLIC = join(FIXTURES, 'public');
const NOW = new Date('2026-06-01T00:00:00Z');
const kp = generateKeyPairSync('ed25519');
const signing: SigningKey = { privateKey: kp.privateKey, publicKey: kp.publicKey, keyid: keyIdOf(kp.publicKey) };
const ctx: ReceiptContext = {
  env: 'dev',
  repo: { commit: 'abcdef1', branch: 'main', source: 'flag', branch_source: 'flag' },
  actor: { principal: 'test', method: 'ci', source: 'flag' },
  commitmentKey: deriveCommitmentKey(kp.privateKey),
};

function receipt(path: string, bytes: Buffer = readFileSync(path)) {
  const doc = parsePlanDocument(bytes, path);
  const st = buildPlanStatement(doc, path, { planJsonName: 'p.json', planJsonDigest: sha256Tagged(bytes) }, ctx, null);
  signStatement(st, signing); // schema-checks the predicate
  buildDriftStatement(doc, path, { planJsonName: 'p.json', planJsonDigest: sha256Tagged(bytes) }, ctx, null);
  return st.predicate;
}

function policy(path: string, bytes: Buffer = readFileSync(path)) {
  return checkPolicy({ kind: 'plan', doc: parsePlanDocument(bytes, path), origin: path, env: 'dev', now: NOW });
}

function outcome(fn: () => unknown): { ok: true } | { ok: false; message: string } {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    if (!isReceiptError(e)) throw e;
    return { ok: false, message: (e as Error).message };
  }
}

const manifest = readFileSync(join(PUBLIC, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'));

/** Every JSON document of the three corpora. */
const corpus = [
  ...manifest.map((m) => join(PUBLIC, m[0]!)),
  ...walk(GEN)
    .filter((f) => f.endsWith('.show-plan.json'))
    .map((f) => join(GEN, f)),
  ...walk(TF)
    .filter((f) => f.endsWith('.json') && !f.startsWith('ui-json/diagnostic/'))
    .map((f) => join(TF, f)),
];

describe('public plan corpus', () => {
  it('has the provenance of every file: repository, commit, path, license, size and sha256', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(30);
    for (const [dest, repo, commit, path, license, bytes, sha] of manifest) {
      const b = readFileSync(join(PUBLIC, dest!));
      expect([repo, path, license]).toEqual([
        expect.stringMatching(/^[\w.-]+\/[\w.-]+$/),
        expect.any(String),
        expect.stringMatching(/^(Apache-2\.0|MIT)$/),
      ]);
      expect(commit).toMatch(/^[0-9a-f]{40}$/);
      expect(b.length).toBe(Number(bytes));
      expect(createHash('sha256').update(b).digest('hex')).toBe(sha);
    }
  });

  it('spans Terraform 0.12 to 1.14, format 0.1 to 1.2, and providers beyond aws', () => {
    const versions = new Set<string>();
    const formats = new Set<string>();
    const providers = new Set<string>();
    for (const [dest] of manifest) {
      const r = outcome(() => parsePlanDocument(readFileSync(join(PUBLIC, dest!)), dest!));
      if (!r.ok) continue;
      const d = parsePlanDocument(readFileSync(join(PUBLIC, dest!)), dest!);
      if (d.terraform_version) versions.add(d.terraform_version.split('.').slice(0, 2).join('.'));
      formats.add(d.format_version);
      for (const rc of d.resource_changes) providers.add(String(rc.provider_name).split('/').pop()!);
    }
    expect([...formats].sort()).toEqual(['0.1', '0.2', '1.0', '1.1', '1.2']);
    expect(versions.size).toBeGreaterThanOrEqual(14);
    expect([...providers]).toEqual(expect.arrayContaining(['aws', 'google', 'azurerm', 'datadog', 'random']));
  });
});

describe('receipts and policy accept the same inputs', () => {
  it.each(corpus.map((p) => [p.slice(FIXTURES.length + 1), p]))('%s', (_n, path) => {
    const r = outcome(() => receipt(path));
    const p = outcome(() => policy(path));
    if (r.ok) {
      expect(p).toEqual({ ok: true });
    } else {
      // Receipts refuse an action list Terraform does not write; policy reads it and fails closed.
      if (/PLAN_ACTION_UNKNOWN|not a Terraform plan action list/.test(r.message)) {
        expect(p).toEqual({ ok: true });
        expect(policy(path).verdict).toBe('fail');
      } else expect(p).toEqual(r);
      expect(r.message.startsWith(path)).toBe(true);
      expect(r.message).not.toMatch(/\n/);
    }
  });

  it('accepts 0.x plans in policy too (Terraform 0.12 to 1.0)', () => {
    const old = manifest
      .map((m) => join(PUBLIC, m[0]!))
      .filter((p) => /"format_version":\s*"0\./.test(readFileSync(p, 'latin1')));
    expect(old.length).toBeGreaterThanOrEqual(10);
    for (const p of old) expect(outcome(() => policy(p))).toEqual({ ok: true });
  });
});

/** add/change/remove/import as Terraform's docs define them from `change.actions` (independent of kfm). */
function oracle(doc: { resource_changes?: { change: { actions: string[]; importing?: unknown } }[] }) {
  const n = { add: 0, change: 0, remove: 0, import: 0 };
  for (const rc of doc.resource_changes ?? []) {
    const a = rc.change.actions;
    if (a.includes('create')) n.add++;
    if (a.includes('delete')) n.remove++;
    if (a.length === 1 && a[0] === 'update') n.change++;
    if (rc.change.importing) n.import++;
  }
  return n;
}

describe('counts equal the documented definitions', () => {
  const accepted = manifest
    .map((m) => join(PUBLIC, m[0]!))
    .concat(
      walk(GEN)
        .filter((f) => f.endsWith('.show-plan.json'))
        .map((f) => join(GEN, f)),
    )
    .filter((p) => outcome(() => receipt(p)).ok);
  it('covers every public plan but the five the reader refuses, each for its stated reason', () => {
    const refused = manifest
      .map((m) => join(PUBLIC, m[0]!))
      .filter((p) => !accepted.includes(p))
      .map((p) => {
        const o = outcome(() => receipt(p));
        return [p.slice(PUBLIC.length + 1), o.ok ? 'accepted' : o.message.slice(p.length + 2).split(';')[0]];
      })
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    expect(refused).toEqual([
      ['checkov/terraform__parser__plan_encodings__tfplan_win_utf16.json', expect.stringMatching(/is UTF-16/)],
      ['checkov/terraform__parser__plan_vpc_endpoint__tfplan.json', 'format_version missing'],
      ['checkov/terraform__runner__plan__corrupted-tfplan.json', expect.stringMatching(/looks like a state/)],
      ['checkov/terraform__runner__plan_with_lifecycle_check__tfplan.json', expect.stringMatching(/is UTF-16/)],
      ['checkov/terraform__runner__plan_with_utf_16_encoding__tfplan.json', expect.stringMatching(/is UTF-16/)],
    ]);
    expect(accepted.length).toBeGreaterThanOrEqual(manifest.length - 5);
  });
  it.each(accepted.map((p) => [p.slice(FIXTURES.length + 1), p]))('%s', (_n, path) => {
    const s = receipt(path).summary;
    const raw = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
    expect({ add: s.add, change: s.change, remove: s.remove, import: s.import }).toEqual(oracle(raw));
  });
});

const checkov = (n: string): string => join(PUBLIC, 'checkov', n);
const UTF16 = [
  'terraform__parser__plan_encodings__tfplan_win_utf16.json',
  'terraform__runner__plan_with_utf_16_encoding__tfplan.json',
  'terraform__runner__plan_with_lifecycle_check__tfplan.json',
];

describe('input errors name the cause in one line, exit 2, nothing quoted', () => {
  const { key } = keypair();
  const dir = tmp('kfm-plan-input-');
  const real = join(GEN, 'delete-only', '1-create.show-plan.json');
  const realText = readFileSync(real, 'utf8');
  const cases: [string, () => string, RegExp][] = [
    [
      'UTF-16 written by PowerShell (real file)',
      () => checkov(UTF16[1]!),
      /is UTF-16 .*POSIX shell.*iconv -f UTF-16 -t UTF-8/,
    ],
    [
      'two concatenated plans',
      () => {
        const f = join(dir, 'two.json');
        writeFileSync(f, realText + realText);
        return f;
      },
      /extra data after the JSON value \(two documents concatenated\?\)/,
    ],
    [
      "setup-terraform's [command] wrapper line",
      () => {
        const f = join(dir, 'wrapped.json');
        writeFileSync(f, `[command]/home/runner/work/_temp/abc/terraform-bin show -json tfplan\n${realText}`);
        return f;
      },
      /"\[command\]\.\.\." wrapper line .*terraform_wrapper: false/,
    ],
    ['a state (show -json without a plan file)', () => join(TF, 'show-json', 'state.basic.json'), /looks like a state/],
    [
      'a raw terraform.tfstate',
      () => join(GEN, 'delete-only', '1-create.terraform.tfstate'),
      /raw state file \(terraform.tfstate\)/,
    ],
    [
      'format_version never quoted',
      () => {
        const f = join(dir, 'fv.json');
        writeFileSync(f, realText.replace('"format_version":"1.2"', '"format_version":"s3cr3t-fv"'));
        return f;
      },
      /format_version is not a "MAJOR\.MINOR" string \(value not shown\)/,
    ],
    [
      'a key given twice in one object (two readers would read two plans)',
      () => {
        const f = join(dir, 'dup.json');
        writeFileSync(f, realText.replace('"format_version":"1.2"', '"format_version":"1.2","format_version":"1.1"'));
        return f;
      },
      /plan JSON has the key "format_version" twice in one object; readers would disagree/,
    ],
    [
      'a key given twice deep inside a change',
      () => {
        const f = join(dir, 'dup-deep.json');
        writeFileSync(f, realText.replace('"change":{"actions":', '"change":{"after_sensitive":false,"after_sensitive":false,"actions":'));
        return f;
      },
      /has the key "after_sensitive" twice in one object \(resource_changes\[\]\.change\)/,
    ],
    [
      'invalid UTF-8 inside a string',
      () => {
        const f = join(dir, 'utf8.json');
        const at = realText.indexOf('"terraform_version":"') + '"terraform_version":"'.length;
        writeFileSync(f, Buffer.concat([Buffer.from(realText.slice(0, at)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(realText.slice(at))]));
        return f;
      },
      /plan JSON is not valid UTF-8; refused/,
    ],
    [
      'a provider_name longer than any name Terraform writes',
      () => {
        const f = join(dir, 'long-name.json');
        writeFileSync(f, realText.replace(/"provider_name":"([^"]*)"/, (_m, p1: string) => `"provider_name":"${p1}${'x'.repeat(70_000)}"`));
        return f;
      },
      /field [a-z_.\[\]]*\.provider_name holds a string of \d+ characters \(at most 65536\); refused/,
    ],
  ];
  it.each(cases)('%s', (_name, make, want) => {
    const path = make();
    const r = kfm(['receipt', 'plan', path, '--env', 'dev', '--key', key, '--out', join(dir, 'r.json'), ...PROV]);
    const p = kfm(['policy', 'check', '--plan', path, '--env', 'dev', '--now', '2026-06-01']);
    for (const run of [r, p]) {
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(want);
      expect(run.stderr).toContain(path);
      expect(run.stderr).not.toMatch(/s3cr3t|terraform-bin|"root_module"/);
    }
  });

  it('accepts a UTF-8 byte-order mark (the digest stays that of the bytes given)', () => {
    const f = join(dir, 'bom.json');
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(realText)]));
    const out = join(dir, 'bom.receipt.json');
    const r = kfm(['receipt', 'plan', f, '--env', 'dev', '--key', key, '--out', out, '--json', ...PROV]);
    expect(r.status).toBe(0);
    const p = kfm(['policy', 'check', '--plan', f, '--env', 'dev', '--json', '--now', '2026-06-01']);
    expect(JSON.parse(p.stdout).input.digest).toBe(sha256Tagged(readFileSync(f)));
  });

  it('refuses a stream message with a key given twice, or a name longer than Terraform writes, naming the line', () => {
    const stream = readFileSync(join(GEN, 'delete-only', '1-create.apply.jsonl'), 'utf8');
    const first = stream.split('\n')[0]!;
    const dup = first.replace(/^\{/, '{"type":"version",');
    for (const [text, want] of [
      [`${dup}\n${stream.split('\n').slice(1).join('\n')}`, /line 1: apply stream message has the key "type" twice in one object/],
      [stream.replace(/"addr":"([^"]*)"/, (_m, a: string) => `"addr":"${a}${'y'.repeat(70_000)}"`), /holds a string of \d+ characters \(at most 65536\)/],
    ] as const) {
      let err: unknown;
      try {
        parseApplyStream(Buffer.from(text), 's.jsonl');
      } catch (e) {
        err = e;
      }
      expect(isReceiptError(err) && err.exitCode).toBe(2);
      expect((err as Error).message).toMatch(want);
      expect((err as Error).message).toMatch(/^s\.jsonl: line \d+/);
    }
    let bad: unknown;
    try {
      parseApplyStream(Buffer.concat([Buffer.from(first.slice(0, 20)), Buffer.from([0xff]), Buffer.from(first.slice(20))]), 's.jsonl');
    } catch (e) {
      bad = e;
    }
    expect((bad as Error).message).toMatch(/s\.jsonl: apply stream is not valid UTF-8/);
  });

  it('refuses every real UTF-16 plan of the corpus the same way', () => {
    for (const n of UTF16) {
      for (const fn of [receipt, policy])
        expect(outcome(() => fn(checkov(n)))).toMatchObject({ ok: false, message: expect.stringMatching(/is UTF-16/) });
    }
  });

  it('a value nested 20,000 levels deep in an update is exit 2 with one line, not a crash', () => {
    const base = JSON.parse(readFileSync(join(GEN, 'exact-numbers-proto-names', '2-change.show-plan.json'), 'utf8'));
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    const text = JSON.stringify(base).replace('"after":{"id":', `"after":{"deep":${deep},"id":`);
    expect(text).toContain(deep);
    const f = join(dir, 'deep.json');
    writeFileSync(f, text.replace('"before":{"id":', `"before":{"deep":${deep.replace('[]', '[1]')},"id":`));
    const r = kfm(['receipt', 'plan', f, '--env', 'dev', '--key', key, '--out', join(dir, 'deep.r.json'), ...PROV]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nests values deeper than kfm reads/);
    const p = kfm(['policy', 'check', '--plan', f, '--env', 'dev', '--now', '2026-06-01']);
    // Policy reads only the attributes its rules name: no crash, whatever the verdict.
    expect([0, 1, 2]).toContain(p.status);
    expect(p.stderr).not.toMatch(/INTERNAL|RangeError|\n.*\n/);
  });
});

describe('plans real Terraform writes', () => {
  it('derives the address of drift entries written without one (real Terraform 1.0.0 plan)', () => {
    // Terraform 1.0.0 wrote resource_drift without "address" (fixed in 1.0.1, hashicorp/terraform#28975).
    const path = join(PUBLIC, 'terraform-compliance', 'test_issue_522.plan.out.json');
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    expect(raw.terraform_version).toBe('1.0.0');
    expect(raw.resource_drift.length).toBeGreaterThan(0);
    expect(raw.resource_drift.every((d: object) => !('address' in d))).toBe(true);
    const doc = parsePlanDocument(readFileSync(path), path);
    // Derived as Terraform 1.0.1+ writes it: module path, data., type.name, then the instance key.
    const want = raw.resource_drift.map(
      (d: { module_address?: string; mode: string; type: string; name: string; index?: unknown }) =>
        `${d.module_address ? d.module_address + '.' : ''}${d.mode === 'data' ? 'data.' : ''}${d.type}.${d.name}${
          d.index === undefined ? '' : `[${JSON.stringify(d.index)}]`
        }`,
    );
    expect(doc.resource_drift.map((d) => d.address)).toEqual(want);
    expect(doc.resource_drift.every((d) => d.address_derived === true)).toBe(true);
    const p = receipt(path);
    expect(p.drift.length).toBeGreaterThan(0);
    for (const d of p.drift) expect(want).toContain(d.address);
    expect(outcome(() => policy(path))).toEqual({ ok: true });
  });

  it('records a drift entry with neither address nor type/name as unaddressed, never a refused plan', () => {
    const raw = JSON.parse(readFileSync(join(PUBLIC, 'terraform-compliance', 'test_issue_522.plan.out.json'), 'utf8'));
    delete raw.resource_drift[0].type;
    delete raw.resource_drift[0].name;
    const doc = parsePlanDocument(JSON.stringify(raw), 'p.json');
    expect(doc.resource_drift[0]!.address).toBe('(unaddressed resource_drift[0])');
  });

  it('records deposed objects, counts checks, and reads plans without resource_changes', () => {
    const gen = join(TF, 'generated-tf1.11.4');
    const files = walk(gen)
      .filter((f) => f.endsWith('.show-plan.json'))
      .map((f) => join(gen, f));
    const deposed = files.filter((f) => /"deposed":/.test(readFileSync(f, 'utf8')));
    expect(deposed.length).toBeGreaterThan(0);
    for (const f of deposed) expect(receipt(f).changes.some((c) => c.deposed !== undefined)).toBe(true);
    const checks = files.filter((f) => /"checks":\[/.test(readFileSync(f, 'utf8')));
    expect(checks.length).toBeGreaterThan(0);
    for (const f of checks) {
      const c = receipt(f).terraform.checks;
      expect(c.pass + c.fail + c.error + c.unknown).toBeGreaterThan(0);
    }
    const noRc = corpus.filter((f) => {
      try {
        const t = JSON.parse(readFileSync(f, 'utf8'));
        return (
          t && typeof t === 'object' && 'format_version' in t && 'planned_values' in t && !('resource_changes' in t)
        );
      } catch {
        return false;
      }
    });
    expect(noRc.length).toBeGreaterThan(0);
    for (const f of noRc) {
      expect(outcome(() => receipt(f))).toEqual({ ok: true });
      expect(outcome(() => policy(f))).toEqual({ ok: true });
    }
  });

  it('keeps outputs named __proto__ and constructor in plan and apply receipts', () => {
    const dirGen = join(GEN, 'exact-numbers-proto-names');
    const planPath = join(dirGen, '2-change.show-plan.json');
    const p = receipt(planPath);
    expect(p.output_changes.map((o) => o.name)).toEqual(['__proto__', 'constructor']);
    const bytes = readFileSync(planPath);
    const doc = parsePlanDocument(bytes, planPath);
    const st = buildPlanStatement(
      doc,
      planPath,
      { planJsonName: 'p.json', planJsonDigest: sha256Tagged(bytes) },
      ctx,
      null,
    );
    const pr = readVerifiedStatement(signStatement(st, signing).bytes, 'pr.json', [
      { publicKey: kp.publicKey, keyid: signing.keyid, source: 't' },
    ]);
    const facts = parseApplyStream(readFileSync(join(dirGen, '2-change.apply.jsonl')), 'apply.jsonl');
    const ap = buildApplyStatement(
      facts,
      pr,
      'pr.json',
      { streamName: 'a', streamDigest: sha256Tagged('a'), planReceiptName: 'pr.json' },
      ctx,
    );
    signStatement(ap, signing);
    const names = (ap.predicate as { output_changes: { name: string }[] }).output_changes.map((o) => o.name);
    expect(names).toEqual(['__proto__', 'constructor']);
  });

  it('refuses an apply stream PowerShell wrote as UTF-16 with the fix, and skips a UTF-8 BOM', () => {
    const text = readFileSync(join(GEN, 'exact-numbers-proto-names', '2-change.apply.jsonl'), 'utf8');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(() => parseApplyStream(utf16, 'apply.jsonl')).toThrow(
      /^apply\.jsonl: apply stream is UTF-16 .*"terraform apply -json PLANFILE" in a POSIX shell, or convert with "iconv -f UTF-16 -t UTF-8/,
    );
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(parseApplyStream(bom, 'apply.jsonl').lines).toBe(parseApplyStream(text, 'apply.jsonl').lines);
  });

  it('an unknown apply-stream message type named constructor or __proto__ is counted, not a schema failure', () => {
    const dirGen = join(GEN, 'exact-numbers-proto-names');
    const text = readFileSync(join(dirGen, '2-change.apply.jsonl'), 'utf8')
      .split('\n')
      .map((l, i) =>
        i === 1
          ? l.replace(/"type":"[a-z_]+"/, '"type":"constructor"')
          : i === 2
            ? l.replace(/"type":"[a-z_]+"/, '"type":"__proto__"')
            : l,
      )
      .join('\n');
    const facts = parseApplyStream(text, 'apply.jsonl');
    expect(Object.entries(facts.unknownTypes).sort()).toEqual([
      ['__proto__', 1],
      ['constructor', 1],
    ]);
    const bytes = readFileSync(join(dirGen, '2-change.show-plan.json'));
    const st = buildPlanStatement(
      parsePlanDocument(bytes, 'p'),
      'p',
      { planJsonName: 'p', planJsonDigest: sha256Tagged(bytes) },
      ctx,
      null,
    );
    const pr = readVerifiedStatement(signStatement(st, signing).bytes, 'pr.json', [
      { publicKey: kp.publicKey, keyid: signing.keyid, source: 't' },
    ]);
    const ap = buildApplyStatement(
      facts,
      pr,
      'pr.json',
      { streamName: 'a', streamDigest: sha256Tagged('a'), planReceiptName: 'pr' },
      ctx,
    );
    expect(() => signStatement(ap, signing)).not.toThrow();
  });

  it('compares and commits exact numbers: 9007199254740993 -> ...992 and 0.1000000000000000000001 -> 0.1 are changes', () => {
    const dirGen = join(GEN, 'exact-numbers-proto-names');
    const p = receipt(join(dirGen, '2-change.show-plan.json'));
    const big = p.changes.find((c) => c.address === 'terraform_data.big')!;
    const frac = p.changes.find((c) => c.address === 'terraform_data.frac')!;
    expect(big.changed).toEqual(expect.arrayContaining(['input']));
    expect(big.before).not.toBe(big.after);
    expect(frac.changed).toEqual(expect.arrayContaining(['input.f']));
    expect(frac.before).not.toBe(frac.after);
    // Same value, same commitment: the create step's `after` equals the change step's `before`.
    const outs = p.output_changes.find((o) => o.name === '__proto__')!;
    expect(outs.before).not.toBe(outs.after);
  });
});

describe('policy fails closed on what it cannot trust', () => {
  const base = join(GEN, 'exact-numbers-proto-names', '2-change.show-plan.json');
  const doc = (): Record<string, unknown> => JSON.parse(readFileSync(base, 'utf8'));
  const judged = (d: unknown, name: string) =>
    checkPolicy({ kind: 'plan', doc: d, origin: name, env: 'dev', now: NOW });
  const untrusted = (r: ReturnType<typeof judged>) =>
    r.findings.filter((f) => f.rule === 'kfm-policy-plan-untrusted').map((f) => f.message);
  it('the real plan is trusted', () => {
    expect(untrusted(judged(doc(), 'p.json'))).toEqual([]);
  });
  it('trusts a real plan with nothing to apply, which Terraform writes with applyable: false', () => {
    const noChanges = JSON.parse(readFileSync(join(GEN, 'modules-odd-keys', '3-refresh-only.show-plan.json'), 'utf8'));
    expect([noChanges.applyable, noChanges.resource_changes ?? []]).toEqual([false, []]);
    expect(untrusted(judged(noChanges, 'p.json'))).toEqual([]);
  });
  it.each([
    ['errored: true', (d: Record<string, unknown>) => (d.errored = true), /\(errored\): p\.json: errored is true/],
    [
      'applyable: false',
      (d: Record<string, unknown>) => (d.applyable = false),
      /\(not-applyable\): p\.json: applyable is false/,
    ],
    [
      'complete: false',
      (d: Record<string, unknown>) => (d.complete = false),
      /\(incomplete\): p\.json: complete is false/,
    ],
    [
      'an action list Terraform does not write',
      (d: Record<string, unknown>) =>
        ((d.resource_changes as { change: { actions: string[] } }[])[0]!.change.actions = ['update', 'delete']),
      /\(unknown-action\): p\.json: resource_changes\[0\]\.change\.actions of terraform_data\.big is not a Terraform plan action list/,
    ],
  ])('%s gives verdict fail with a finding naming the reason', (_n, mutate, want) => {
    const d = doc();
    mutate(d);
    const r = judged(d, 'p.json');
    expect(r.verdict).toBe('fail');
    expect(untrusted(r)).toEqual([expect.stringMatching(want)]);
  });
  it.each([
    ['a resource change', 'resource_changes[0].change.actions of terraform_data.big'],
    ['an output change', 'output_changes.__proto__.actions of output.__proto__'],
  ])(
    'an action string holding two actions ("delete,create") in %s is unknown to policy (fail) and receipts (refused) alike',
    (_n, where) => {
      const d = doc();
      if (where.startsWith('resource'))
        (d.resource_changes as { change: { actions: string[] } }[])[0]!.change.actions = ['delete,create'];
      else (d.output_changes as Record<string, { actions: string[] }>)['__proto__']!.actions = ['create,delete'];
      const r = judged(d, 'p.json');
      expect(r.verdict).toBe('fail');
      expect(untrusted(r).join('\n')).toContain(`p.json: ${where} is not a Terraform plan action list`);
      expect(outcome(() => receipt('p.json', Buffer.from(JSON.stringify(d))))).toEqual({
        ok: false,
        message: expect.stringContaining(`p.json: ${where} is not a Terraform plan action list`),
      });
    },
  );
  it('the real errored plan of the maintainers fails', () => {
    const r = policy(join(TF, 'show-json', 'plan-error.json'));
    expect(r.verdict).toBe('fail');
  });
  it('the same unknown action is refused by receipts', () => {
    const d = doc();
    (d.resource_changes as { change: { actions: string[] } }[])[0]!.change.actions = ['update', 'delete'];
    expect(outcome(() => receipt('p.json', Buffer.from(JSON.stringify(d))))).toEqual({
      ok: false,
      message: expect.stringMatching(
        /p\.json: resource_changes\[0\]\.change\.actions of terraform_data\.big is not a Terraform plan action list/,
      ),
    });
  });
});

describe('delete-only plans are judged on what will exist after', () => {
  it.each(['2-remove-all', '3-destroy'])('%s passes (real Terraform plan deleting every resource)', (step) => {
    const r = policy(join(GEN, 'delete-only', `${step}.show-plan.json`));
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('pass');
  });
  it('a plan with neither resources nor deletions stays fail', () => {
    const r = policy(join(GEN, 'empty-config', '1-plan.show-plan.json'));
    expect(r.verdict).toBe('fail');
    expect(r.findings.map((f) => f.rule)).toContain('kfm-policy-no-resources');
  });
});

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLICY_LABELS, ZONES } from '../../core/vocabulary';
import { ReceiptError } from '../../core/errors';
import { currentBundle, pinnedDigest } from '../../policy/bundle';
import { checkPolicy } from '../../policy/check';
import { evaluatePolicy, PolicyResult } from '../../policy/engine/evaluate';
import { viewFromPlan } from '../../policy/engine/from-plan';
import { viewFromSynth } from '../../policy/engine/from-synth';
import { KFM_PACK } from '../../policy/pack';
import { PolicyEnv } from '../../policy/engine/rule';
import { parseSuppressions } from '../../policy/engine/suppressions';
import { computeManifest, pinsText } from '../../scripts/policy-manifest';
import { FIXTURES, kfm, materializeFixture, PLANTED, planFixture, readJson, REPO_ROOT } from './helpers';

const NOW = new Date('2025-06-01T00:00:00Z');
const casesSynth = materializeFixture('cases');
const minimalSynth = join(FIXTURES, 'minimal', 'main.tf.json');
let casesPlan: string;
let minimalPlan: string;

beforeAll(() => {
  // The only two Terraform runs of the policy suite.
  casesPlan = planFixture('cases');
  minimalPlan = planFixture('minimal');
});

function judge(kind: 'synth' | 'plan', file: string, env?: PolicyEnv): PolicyResult {
  return checkPolicy({ kind, doc: readJson(file), origin: file, env, now: NOW });
}
const pairs = (r: PolicyResult): string[] => r.findings.map((f) => `${f.rule} ${f.address}`).sort();

/** What the cases fixture must produce in prod: the spec of every rule's non-compliant case. */
const EXPECTED_PROD = [
  'ebs-volumes-encrypted aws_ebs_volume.bad_vol',
  'ebs-volumes-encrypted aws_launch_template.bad_lt',
  'no-credentials-in-configuration (configuration)',
  'no-credentials-in-configuration aws_db_instance.bad_db',
  'no-credentials-in-configuration aws_sns_topic.bad_akia',
  'no-credentials-in-configuration provider["registry.terraform.io/hashicorp/aws"].planted',
  'no-ingress-from-anywhere aws_security_group.bad_sg',
  'no-ingress-from-anywhere aws_security_group_rule.bad_ingress',
  'no-ingress-from-anywhere aws_vpc_security_group_ingress_rule.bad_rule',
  'prod-high-availability aws_autoscaling_group.bad_asg',
  'prod-high-availability aws_db_instance.bad_db',
  'rds-deletion-protection-in-prod aws_db_instance.bad_db',
  'rds-not-publicly-accessible aws_db_instance.bad_db',
  'rds-storage-encrypted aws_db_instance.bad_db',
  'resource-policies-least-privilege aws_s3_bucket_policy.bad_open',
  's3-audit-bucket-object-locked aws_s3_bucket.bad_audit',
  's3-bucket-encrypted aws_s3_bucket.bad_bare',
  's3-bucket-encrypted aws_s3_bucket.bad_open',
  's3-bucket-public-access-blocked aws_s3_bucket.bad_bare',
  's3-bucket-public-access-blocked aws_s3_bucket.bad_open',
  's3-bucket-tls-only aws_s3_bucket.bad_bare',
  's3-bucket-tls-only aws_s3_bucket.bad_open',
  's3-bucket-versioned-in-canonical-zones aws_s3_bucket.bad_bare',
  's3-bucket-versioned-in-canonical-zones aws_s3_bucket.bad_open',
  's3-canonical-buckets-replicated aws_s3_bucket.bad_audit',
  's3-canonical-buckets-replicated aws_s3_bucket.bad_bare',
  's3-canonical-buckets-replicated aws_s3_bucket.bad_open',
  'tags-from-vocabulary aws_cloudwatch_log_group.bad_untagged',
  'tags-from-vocabulary aws_sns_topic.bad_label',
];
const PROD_ONLY = ['prod-high-availability', 'rds-deletion-protection-in-prod', 'prod-alarms-configured'];
/** Findings of rules that judge every env, on resources only prod holds to them (canonical zones replicate in prod). */
const PROD_ONLY_FINDINGS = [
  's3-canonical-buckets-replicated aws_s3_bucket.bad_bare',
  's3-canonical-buckets-replicated aws_s3_bucket.bad_open',
];
const inEnv = (x: string, env: string): boolean =>
  env === 'prod' || (!PROD_ONLY.includes(x.split(' ')[0]) && !PROD_ONLY_FINDINGS.includes(x));

describe('parity between synth JSON and plan JSON', () => {
  it.each(['dev', 'stage', 'prod'] as const)('gives the same findings for the same config in %s', (env) => {
    const s = judge('synth', casesSynth, env);
    const p = judge('plan', casesPlan, env);
    expect(p.findings).toEqual(s.findings);
    expect(p.evaluated).toBe(s.evaluated);
    expect(pairs(s)).toEqual(EXPECTED_PROD.filter((x) => inEnv(x, env)));
  });

  it('gives the same findings for the provider default_tags fixture', () => {
    for (const env of ['dev', 'prod'] as const) {
      expect(judge('plan', minimalPlan, env).findings).toEqual(judge('synth', minimalSynth, env).findings);
    }
  });

  // The rules this fixture was written for; every rule (these and the newer ones) also has a violation
  // and a compliant twin in the corpus (policy-corpus.test.ts), judged in both views.
  const CASE_RULES = KFM_PACK.filter(
    (r) => EXPECTED_PROD.some((e) => e.startsWith(`${r.id} `)) || r.id === 'prod-alarms-configured',
  );

  it('has a compliant and a non-compliant case for every rule it was written for, in both views', () => {
    const seen = new Map<string, Set<string>>();
    for (const [kind, file] of [
      ['synth', casesSynth],
      ['plan', casesPlan],
      ['synth', minimalSynth],
      ['plan', minimalPlan],
    ] as const) {
      const input = kind === 'synth' ? viewFromSynth(readJson(file), file) : viewFromPlan(readJson(file), file);
      for (const rule of CASE_RULES) {
        const r = evaluatePolicy(input, {
          rules: [rule],
          suppressions: { version: 1, suppressions: [] },
          bundle: { digest: 'x', rules: 1 },
          now: NOW,
          env: 'prod',
        });
        const key = `${rule.id} ${kind}`;
        const set = seen.get(key) ?? new Set<string>();
        if (r.evaluated > r.findings.length) set.add('compliant');
        if (r.findings.some((f) => f.rule === rule.id)) set.add('non-compliant');
        seen.set(key, set);
      }
    }
    expect(CASE_RULES.length).toBeGreaterThanOrEqual(14);
    for (const rule of CASE_RULES) {
      for (const kind of ['synth', 'plan']) {
        expect([rule.id, kind, [...(seen.get(`${rule.id} ${kind}`) ?? [])].sort()]).toEqual([
          rule.id,
          kind,
          ['compliant', 'non-compliant'],
        ]);
      }
    }
  });

  it('links a bucket to its TLS policy through a policy document data source in both views', () => {
    for (const [kind, file] of [
      ['synth', casesSynth],
      ['plan', casesPlan],
    ] as const) {
      const r = judge(kind, file, 'prod');
      expect(r.findings.filter((f) => f.address === 'aws_s3_bucket.good_audit')).toEqual([]);
    }
  });
});

describe('fail closed', () => {
  it('fails a configuration with zero resources', () => {
    const r = checkPolicy({ kind: 'synth', doc: { terraform: {}, provider: {} }, origin: 'empty.json', now: NOW });
    expect(r.verdict).toBe('fail');
    expect(r.findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['kfm-policy-no-resources', 'kfm-policy-nothing-evaluated']),
    );
  });

  it('fails when a security-relevant value is unknown at this stage', () => {
    const doc = {
      resource: {
        aws_db_instance: {
          db: { storage_encrypted: '${var.encrypt}', tags: { policy_label: 'internal', zone: 'processed' } },
        },
      },
    };
    const r = checkPolicy({ kind: 'synth', doc, origin: 'unknown.json', now: NOW });
    expect(r.verdict).toBe('fail');
    expect(r.findings).toEqual([
      expect.objectContaining({
        rule: 'rds-storage-encrypted',
        address: 'aws_db_instance.db',
        message: expect.stringMatching(/unknown/),
      }),
    ]);
  });

  it('rejects plan JSON with format_version 2.0 and cdk.tf.json given as a plan', () => {
    const plan = readJson(casesPlan) as Record<string, unknown>;
    expect(() => viewFromPlan({ ...plan, format_version: '2.0' }, 'p.json')).toThrow(
      /p\.json: format_version major 2 unsupported; expected >=0\.1 <2\.0/,
    );
    expect(() => viewFromPlan(readJson(casesSynth), 'c.json')).toThrow(ReceiptError);
    expect(() => viewFromSynth(plan, 'p.json')).toThrow(/use --plan/);
  });
});

describe('suppressions', () => {
  const rules = KFM_PACK.map((r) => r.id);
  const base = {
    rule: 'tags-from-vocabulary',
    address: 'aws_cloudwatch_log_group.*',
    reason: 'log group tagged by a later stack',
    owner: 'platform-team',
  };

  it('moves a matching finding to suppressed and keeps it recorded', () => {
    const suppressions = parseSuppressions(
      { version: 1, suppressions: [{ ...base, expires: '2025-06-01' }] },
      's.json',
      rules,
    );
    const r = checkPolicy({ kind: 'synth', doc: readJson(casesSynth), origin: 'c', now: NOW, suppressions });
    expect(r.suppressed.map((s) => `${s.rule} ${s.address}`)).toEqual([
      'tags-from-vocabulary aws_cloudwatch_log_group.bad_untagged',
    ]);
    expect(r.suppressed[0].suppression.owner).toBe('platform-team');
    expect(pairs(r)).not.toContain('tags-from-vocabulary aws_cloudwatch_log_group.bad_untagged');
  });

  it('fails when a suppression has expired', () => {
    const suppressions = parseSuppressions(
      { version: 1, suppressions: [{ ...base, expires: '2025-05-31' }] },
      's.json',
      rules,
    );
    const r = checkPolicy({
      kind: 'synth',
      doc: readJson(minimalSynth),
      origin: 'm',
      env: 'dev',
      now: NOW,
      suppressions,
    });
    expect(r.verdict).toBe('fail');
    expect(r.findings.map((f) => f.rule)).toEqual(['kfm-policy-suppression-expired']);
  });

  it.each([
    [{ ...base, reason: 'too short', expires: '2030-01-01' }, /reason is shorter than 10/],
    [{ ...base, expires: '2030-13-45x' }, /expires/],
    [{ ...base, rule: 'no-such-rule', expires: '2030-01-01' }, /not a rule of the pack/],
    [{ ...base, expires: '2030-01-01', extra: 1 }, /not a known field/],
    [{ rule: base.rule, address: base.address, reason: base.reason, expires: '2030-01-01' }, /owner is missing/],
  ])('refuses a malformed suppression %#', (s, msg) => {
    expect(() => parseSuppressions({ version: 1, suppressions: [s] }, 's.json', rules)).toThrow(msg);
  });

  it('changes the bundle digest when suppressions change', () => {
    const suppressions = parseSuppressions(
      { version: 1, suppressions: [{ ...base, expires: '2030-01-01' }] },
      's.json',
      rules,
    );
    const r = checkPolicy({ kind: 'synth', doc: readJson(minimalSynth), origin: 'm', now: NOW, suppressions });
    expect(r.bundle.digest).not.toBe(currentBundle().digest);
  });
});

describe('bundle, manifest and pins', () => {
  it('keeps bundle-manifest.json in step with the policy sources (run scripts/policy-manifest.ts)', () => {
    expect(readJson(join(REPO_ROOT, 'policy/bundle-manifest.json'))).toEqual(computeManifest());
  });

  it('pins the current bundle for dev, stage and prod (re-pin with scripts/policy-manifest.ts --pin)', () => {
    expect(readFileSync(join(REPO_ROOT, 'policy/config/pins.json'), 'utf8')).toBe(pinsText());
    for (const env of ['dev', 'stage', 'prod'] as const) expect(pinnedDigest(env)).toBe(currentBundle().digest);
    expect(currentBundle()).toEqual({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), rules: KFM_PACK.length });
  });

  it('gives the same bundle digest from compiled dist as from ts', () => {
    const out = mkdtempSync(join(tmpdir(), 'kfm-policy-dist-'));
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect([tsc.stderr.slice(0, 200), existsSync(join(out, 'cli', 'main.js'))]).toEqual([expect.anything(), true]);
    const r = spawnSync(
      process.execPath,
      [join(out, 'cli', 'main.js'), 'policy', 'check', '--synth', minimalSynth, '--env', 'dev', '--json'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).bundle).toEqual(currentBundle());
  });

  it('has one rule per file under rules/, with the id taken from the file name', () => {
    const files = readdirSync(join(REPO_ROOT, 'policy/rules'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(KFM_PACK.map((r) => r.id)).toEqual(files);
    for (const r of KFM_PACK) {
      expect(r.description).toMatch(/^[^\n]{10,}$/);
      expect(r.remediation).toMatch(/^[^\n]{10,}$/);
      expect(['error', 'warning']).toContain(r.severity);
    }
  });

  it('judges tags against the controlled vocabularies of core/vocabulary.ts', () => {
    const doc = (label: string, zone: string) => ({
      resource: { aws_sns_topic: { t: { name: 't', tags: { policy_label: label, zone } } } },
    });
    for (const label of POLICY_LABELS)
      for (const zone of ZONES) {
        expect(checkPolicy({ kind: 'synth', doc: doc(label, zone), origin: 'v', now: NOW }).verdict).toBe('pass');
      }
    expect(checkPolicy({ kind: 'synth', doc: doc('public', 'scratch'), origin: 'v', now: NOW }).verdict).toBe('fail');
  });
});

describe('kfm policy check (real process)', () => {
  it('exits 0 and prints the bundle for a passing plan', () => {
    const r = kfm(['policy', 'check', '--plan', minimalPlan, '--env', 'dev', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    // The contract's keys, in order, plus `input` (added: binds the decision to the file and env) and
    // `installation` (added: the name prefix and repository the declared facts were resolved with).
    expect(Object.keys(out)).toEqual([
      'bundle',
      'evaluated',
      'findings',
      'suppressed',
      'verdict',
      'input',
      'installation',
    ]);
    expect(out.installation).toEqual({ namePrefix: 'kfm', repository: 'kansas-frontier-matrix/kfm-infra' });
    expect(out.input).toEqual({
      kind: 'plan',
      digest: `sha256:${createHash('sha256').update(readFileSync(minimalPlan)).digest('hex')}`,
      env: 'dev',
    });
    expect(out.bundle).toEqual(currentBundle());
    expect(out.verdict).toBe('pass');
    expect(out.evaluated).toBeGreaterThan(0);
  });

  it.each([
    [
      '76-bad-control-on-a-bucket-outside-the-plan-and-undecla',
      'targets-in-plan-or-declared',
      /not in this plan and not declared: .*declare it under "buckets" in policy\/config\/external-resources\.json/,
    ],
    [
      '78-bad-security-group-rule-on-a-group-outside-the-plan',
      'targets-in-plan-or-declared',
      /declare it under "securityGroups" in policy\/config\/external-resources\.json/,
    ],
    ['54-bad-a-type-no-rule-covers', 'resource-types-reviewed', /type aws_kinesis_stream is covered by no rule/],
  ])('fails in prod on a plan it cannot judge (%s), naming what to declare or review', (name, rule, message) => {
    const r = kfm([
      'policy',
      'check',
      '--plan',
      join(FIXTURES, 'corpus', name, 'plan.json'),
      '--env',
      'prod',
      '--json',
    ]);
    expect(r.status).toBe(1);
    const findings = JSON.parse(r.stdout).findings as Array<{ rule: string; severity: string; message: string }>;
    expect(findings.filter((f) => f.rule === rule && f.severity === 'error').map((f) => f.message)).toContainEqual(
      expect.stringMatching(message),
    );
  });

  it('exits 1 with one finding per line for a failing synth, without --json', () => {
    const r = kfm(['policy', 'check', '--synth', minimalSynth, '--env', 'prod']);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^policy fail: bundle sha256:[0-9a-f]{64} \\(${KFM_PACK.length} rules\\)`)),
      expect.stringMatching(/^ERROR prod-alarms-configured aws_cloudwatch_metric_alarm\.silent: no alarm_actions /),
    ]);
  });

  it('never prints a planted secret in any output of either view', () => {
    for (const args of [
      ['--synth', casesSynth],
      ['--plan', casesPlan],
    ]) {
      for (const json of [[], ['--json']]) {
        const r = kfm(['policy', 'check', ...args, '--env', 'prod', ...json]);
        expect(r.status).toBe(1);
        for (const secret of PLANTED) {
          expect(r.stdout).not.toContain(secret);
          expect(r.stderr).not.toContain(secret);
        }
      }
    }
    // The secrets really are in the inputs, so the test can fail.
    for (const secret of PLANTED) expect(readFileSync(casesPlan, 'utf8')).toContain(secret);
  });

  it('exits 2 with one stderr line naming the file for bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfm-policy-bad-'));
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, readFileSync(casesPlan, 'utf8').slice(0, 500));
    const v2 = join(dir, 'v2.json');
    writeFileSync(v2, JSON.stringify({ ...(readJson(casesPlan) as object), format_version: '2.0' }));
    const shortReason = join(dir, 'supp.json');
    writeFileSync(
      shortReason,
      JSON.stringify({
        version: 1,
        suppressions: [
          { rule: 'tags-from-vocabulary', address: '*', reason: 'short', owner: 'me', expires: '2030-01-01' },
        ],
      }),
    );
    const cases: Array<[string[], RegExp]> = [
      [['--plan', truncated], /truncated\.json: not valid plan JSON/],
      [['--plan', v2], /v2\.json: format_version major 2 unsupported/],
      [['--synth', casesPlan], /plan\.json: .*use --plan/],
      [['--plan', casesSynth], /main\.tf\.json: format_version missing/],
      [['--plan', join(dir, 'missing.json')], /missing\.json: plan JSON file not found/],
      [['--plan', casesPlan, '--suppressions', shortReason], /supp\.json: suppressions\[0\]\.reason/],
      [['--plan', casesPlan, '--synth', casesSynth], /exactly one of --synth, --plan or --synth-log/],
      [['--plan', casesPlan, '--env', 'qa'], /--env "qa"/],
    ];
    for (const [args, msg] of cases) {
      const r = kfm(['policy', 'check', ...args]);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('reads the date for suppression expiry from --now, then KFM_POLICY_NOW', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfm-policy-now-'));
    const supp = join(dir, 'supp.json');
    writeFileSync(
      supp,
      JSON.stringify({
        version: 1,
        suppressions: [
          {
            rule: 'prod-alarms-configured',
            address: 'aws_cloudwatch_metric_alarm.silent',
            reason: 'alarms land in the next change',
            owner: 'ops',
            expires: '2025-06-30',
          },
        ],
      }),
    );
    const args = ['policy', 'check', '--synth', minimalSynth, '--env', 'prod', '--suppressions', supp, '--json'];
    const before = kfm(args, { KFM_POLICY_NOW: '2025-06-30' });
    expect(before.status).toBe(0);
    expect(JSON.parse(before.stdout).suppressed).toHaveLength(1);
    expect(kfm([...args, '--now', '2025-07-01']).status).toBe(1);
    expect(kfm(args, { KFM_POLICY_NOW: '2025-07-01' }).status).toBe(1);
  });
});

describe('sensitive values in findings', () => {
  // A sensitive variable used as a tag value: out of vocabulary, so a finding, and Terraform writes
  // the value in clear into planned_values (the provider's own validation keeps other free-text
  // values such as sse_algorithm from reaching a plan).
  const SENSITIVE = ['kfm-planted-tag-Zq9x'];
  let sensitivePlan: string;
  beforeAll(() => {
    sensitivePlan = planFixture('sensitive');
  });

  it('reports an out-of-vocabulary value without quoting it, in text and --json', () => {
    for (const json of [[], ['--json']]) {
      const r = kfm(['policy', 'check', '--plan', sensitivePlan, '--env', 'dev', ...json]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('tags-from-vocabulary');
      expect(r.stdout).toContain('aws_sns_topic.bad_sensitive_label');
      for (const secret of SENSITIVE) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
    }
    // The values really are in the plan, so the test can fail.
    for (const secret of SENSITIVE) expect(readFileSync(sensitivePlan, 'utf8')).toContain(secret);
  });
});

/**
 * The one PR comment (`kfm receipt comment`): a summary across tiers first, then prod, stage and
 * dev; each policy finding where the reviewer looks (rule, resource, what is wrong, the fix, a
 * link to its documentation), errors first, also when the synth itself failed; destroys grouped
 * with every replacement and forget listed; within GitHub's 65,536 characters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { keypair, kfm, tmp } from '../helpers';
import { DESTROY_350, ENVS, failedSynthLog, receiptOf, REVIEW, synthOf } from './comment-support';
import { parseSynthFindings } from '../../../receipts/render/findings';

const keys = keypair();
const dir = tmp('kfm-comment-');
const DOCS = 'https://github.com/o/r/blob/abc/docs';

function comment(receipts: Record<string, string>, ...extra: string[]): string {
  const args = [
    'receipt',
    'comment',
    '--pub',
    keys.pub,
    '--docs-base',
    DOCS,
    '--run-url',
    'https://github.com/o/r/actions/runs/9',
  ];
  for (const env of ENVS)
    args.push('--receipt', `${env}=${receipts[env] ?? join(dir, 'missing.json')}`, '--synth', `${env}=${synthOf(env)}`);
  const r = kfm([...args, ...extra]);
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('the comment of three tiers whose prod plan fails the policy', () => {
  let md: string;
  beforeAll(() => {
    const receipts = {
      dev: receiptOf(join(REVIEW, 'dev.plan.json'), 'dev', keys.key, dir),
      stage: receiptOf(join(REVIEW, 'stage.plan.json'), 'stage', keys.key, dir),
      prod: receiptOf(join(REVIEW, 'prod-unencrypted.plan.json'), 'prod', keys.key, dir),
    };
    md = comment(receipts);
  });

  it('starts with a summary table across tiers, prod first, then the prod, stage and dev sections', () => {
    const table = md.slice(0, md.indexOf('### '));
    expect(table).toMatch(/\| Environment \| Add \| Change \| Destroy \| Policy \| Exposure changes \|/);
    const rows = [...table.matchAll(/^\| \*\*(\w+)\*\* \| (\d+) \| (\d+) \| (\S+) \| (.*) \| (\S+) \|$/gm)].map((m) => [
      m[1],
      m[2],
      m[5],
    ]);
    expect(rows).toEqual([
      ['prod', '56', '**fail**: 2 errors'],
      ['stage', '49', 'pass'],
      ['dev', '48', 'pass'],
    ]);
    const at = (env: string) => md.indexOf(`### Terraform plan receipt — <code>${env}</code>`);
    expect(at('prod')).toBeGreaterThan(0);
    expect(at('prod')).toBeLessThan(at('stage'));
    expect(at('stage')).toBeLessThan(at('dev'));
  });

  it("shows prod's finding before its changes: rule linked to its docs, construct path, what is wrong, the fix", () => {
    const prod = md.slice(md.indexOf('— <code>prod</code>'), md.indexOf('— <code>stage</code>'));
    const f = prod.indexOf('❌ Policy findings (2 errors)');
    expect(f).toBeGreaterThan(0);
    expect(f).toBeLessThan(prod.indexOf('#### Create'));
    expect(prod).toContain(
      `- **error** [<code>s3-bucket-encrypted</code>](${DOCS}/policy.md#rules-and-coverage-against-checkov-policyrulesidts-id--file-name) on <code>DataBucket/Bucket</code>`,
    );
    expect(prod).toMatch(
      / {2}- what is wrong: no aws&#95;s3&#95;bucket&#95;server&#95;side&#95;encryption&#95;configuration references this bucket/,
    );
    expect(prod).toMatch(
      / {2}- fix: Add an aws&#95;s3&#95;bucket&#95;server&#95;side&#95;encryption&#95;configuration/,
    );
  });

  it('names resources by construct path, never with a cdktf hash suffix, and fits in one comment', () => {
    expect(md).not.toMatch(/&#95;[0-9A-F]{8}(<\/code>|&#91;)/);
    expect(md).toContain('<code>DataBucket/Bucket</code>');
    expect(md.length).toBeLessThanOrEqual(65536);
  });
});

describe('the comment when the policy fails at synth (no plan receipt at all)', () => {
  let md: string;
  let log: string;
  beforeAll(() => {
    log = failedSynthLog(dir);
    md = comment({}, '--synth-log', log);
  });

  it("renders the failed synth's findings in prod's section, errors first, and says why the others have no plan", () => {
    expect(md).toMatch(/^\| \*\*prod\*\* \| — \| — \| no plan \| \*\*fail at synth\*\*: 5 errors \| — \|$/m);
    const prod = md.slice(md.indexOf('### <code>prod</code>'), md.indexOf('### <code>stage</code>'));
    expect(prod).toContain('No plan: cdktf synth failed the policy pack on stack <code>prod</code>');
    expect(prod).toContain('❌ Policy findings at synth (5 errors)');
    const rules = [...prod.matchAll(/^- \*\*error\*\* \[<code>([a-z0-9-]+)<\/code>\]/gm)].map((m) => m[1]);
    // No prod-alarms-configured: a lone bucket runs no workload (docs/policy.md, the alarm rule's scope).
    expect(rules).toEqual([
      's3-bucket-encrypted',
      's3-bucket-public-access-blocked',
      's3-bucket-tls-only',
      's3-bucket-versioned-in-canonical-zones',
      's3-canonical-buckets-replicated',
    ]);
    expect(prod).toContain('on <code>aws&#95;s3&#95;bucket.RawZone&#95;Bucket</code>');
    expect(md).toMatch(
      /### <code>stage<\/code>\n\nNo plan receipt: cdktf synth stopped at the policy failure of stack prod\./,
    );
  });

  it('shows nothing else of the log: no stack trace, no file path, no bundle line', () => {
    expect(md).not.toMatch(/^\s+at |node_modules|Validation failed|\[bundle|errors\.ts/m);
    // The log really held them: one line per violation, each ending with the bundle digest.
    expect(readFileSync(log, 'utf8')).toMatch(/\[bundle sha256:[0-9a-f]{64}\]$/m);
  });

  it('reads each finding once, even when the CLI prints the error twice', () => {
    const once = readFileSync(log, 'utf8');
    expect(parseSynthFindings(once + '\n' + once)).toHaveLength(5);
  });
});

describe('SARIF and annotations of the same findings', () => {
  /**
   * The structural subset of the SARIF 2.1.0 schema GitHub code scanning requires (docs "SARIF
   * support for code scanning"): the official schema is not on this machine offline. The full
   * schema (oasis-tcs sarif-schema-2.1.0.json) was checked by hand as well: see docs/pr-gates.md.
   */
  const SUBSET = {
    type: 'object',
    required: ['version', 'runs'],
    properties: {
      version: { const: '2.1.0' },
      $schema: { type: 'string' },
      runs: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['tool', 'results'],
          properties: {
            tool: {
              type: 'object',
              required: ['driver'],
              properties: {
                driver: {
                  type: 'object',
                  required: ['name', 'rules'],
                  properties: {
                    name: { type: 'string', minLength: 1 },
                    semanticVersion: { type: 'string' },
                    rules: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['id', 'shortDescription', 'help', 'defaultConfiguration'],
                        properties: {
                          id: { type: 'string' },
                          shortDescription: {
                            type: 'object',
                            required: ['text'],
                            properties: { text: { type: 'string', maxLength: 1024 } },
                          },
                          fullDescription: { type: 'object', required: ['text'] },
                          help: { type: 'object', required: ['text'] },
                          helpUri: { type: 'string', format: 'uri' },
                          defaultConfiguration: {
                            type: 'object',
                            properties: { level: { enum: ['none', 'note', 'warning', 'error'] } },
                          },
                          properties: {
                            type: 'object',
                            properties: {
                              tags: { type: 'array', items: { type: 'string' }, maxItems: 20 },
                              'security-severity': { type: 'string', pattern: '^\\d+(\\.\\d)?$' },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            automationDetails: { type: 'object', properties: { id: { type: 'string' } } },
            results: {
              type: 'array',
              items: {
                type: 'object',
                required: ['ruleId', 'message', 'locations'],
                properties: {
                  ruleId: { type: 'string' },
                  ruleIndex: { type: 'integer', minimum: 0 },
                  level: { enum: ['none', 'note', 'warning', 'error'] },
                  message: {
                    type: 'object',
                    required: ['text'],
                    properties: { text: { type: 'string', minLength: 1 } },
                  },
                  partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
                  locations: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 1000,
                    items: {
                      type: 'object',
                      required: ['physicalLocation'],
                      properties: {
                        physicalLocation: {
                          type: 'object',
                          required: ['artifactLocation', 'region'],
                          properties: {
                            artifactLocation: {
                              type: 'object',
                              required: ['uri'],
                              properties: { uri: { type: 'string', pattern: '^(?!/)(?![a-z]+:)[^\\s]+$' } },
                            },
                            region: {
                              type: 'object',
                              required: ['startLine'],
                              properties: { startLine: { type: 'integer', minimum: 1 } },
                            },
                          },
                        },
                        logicalLocations: { type: 'array' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ajv = new Ajv({ strict: false, allErrors: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('ajv-formats')(ajv);
  const validate = ajv.compile(SUBSET);

  it('writes SARIF 2.1.0 for a judged synth, each result at the construct in the source', () => {
    const r = kfm([
      'policy',
      'check',
      '--synth',
      join(REVIEW, 'prod-unencrypted.cdk.tf.json'),
      '--env',
      'prod',
      '--format',
      'sarif',
      '--docs-base',
      DOCS,
    ]);
    expect(r.status).toBe(1);
    const sarif = JSON.parse(r.stdout);
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const res = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 's3-bucket-encrypted');
    expect(res.ruleId).toBe('s3-bucket-encrypted');
    expect(sarif.runs[0].tool.driver.rules[res.ruleIndex].id).toBe('s3-bucket-encrypted');
    expect(res.message.text).toMatch(
      /^DataBucket\/Bucket: no aws_s3_bucket_server_side_encryption_configuration references this bucket\. Fix: /,
    );
    const loc = res.locations[0].physicalLocation;
    const line = readFileSync(join(__dirname, '..', '..', '..', loc.artifactLocation.uri), 'utf8').split('\n')[
      loc.region.startLine - 1
    ];
    expect(line).toContain("'Bucket'");
    expect(res.locations[0].logicalLocations[0].fullyQualifiedName).toBe('DataBucket/Bucket');
  });

  it("relays a failed synth's findings as SARIF and as ::error annotations (exit 1)", () => {
    const log = failedSynthLog(dir);
    const s = kfm(['policy', 'check', '--synth-log', log, '--format', 'sarif']);
    expect(s.status).toBe(1);
    const sarif = JSON.parse(s.stdout);
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    expect(sarif.runs[0].results).toHaveLength(5);
    const a = kfm(['policy', 'check', '--synth-log', log, '--format', 'github']);
    const lines = a.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l).toMatch(/^::error file=[^,]+,line=\d+,title=kfm policy [a-z0-9-]+::\S.*Fix: /);
  });

  it('refuses --json with another --format, and an unknown format (exit 2)', () => {
    const plan = join(REVIEW, 'dev.plan.json');
    expect(kfm(['policy', 'check', '--plan', plan, '--json', '--format', 'sarif']).status).toBe(2);
    expect(kfm(['policy', 'check', '--plan', plan, '--format', 'xml']).status).toBe(2);
  });
});

describe('a plan of 350 destroys (50 replacements) and 20 forgets, as prod in the comment', () => {
  let md: string;
  let receipts: Record<string, string>;
  /** Rows of single destroys (deletes past a count, queues no longer in configuration). */
  const destroyRows = (text: string): number =>
    (text.match(/^\| <code>aws&#95;(s3&#95;bucket\.bucket|sqs&#95;queue\.)/gm) ?? []).length;
  beforeAll(() => {
    receipts = {
      dev: receiptOf(join(REVIEW, 'dev.plan.json'), 'dev', keys.key, dir, 'd350-dev'),
      stage: receiptOf(join(REVIEW, 'stage.plan.json'), 'stage', keys.key, dir, 'd350-stage'),
      prod: receiptOf(DESTROY_350, 'prod', keys.key, dir, 'd350-prod'),
    };
    md = comment(receipts);
  });

  it('counts the destroys by type and reason, first', () => {
    const prod = md.slice(md.indexOf('— <code>prod</code>'), md.indexOf('— <code>stage</code>'));
    expect(prod).toContain('⚠️ Destructive changes (370): delete 300 · replace 50 · forget 20');
    expect(prod).toContain('| **DESTROY** | <code>aws&#95;s3&#95;bucket</code> | count index beyond count | 200 |');
    expect(prod).toContain('| **DESTROY** | <code>aws&#95;sqs&#95;queue</code> | no longer in configuration | 100 |');
    expect(prod).toContain(
      '| **REPLACE** | <code>aws&#95;instance</code> | an attribute cannot be updated in place | 50 |',
    );
    expect(prod).toContain('| **FORGET** | <code>aws&#95;s3&#95;bucket</code> | no longer in configuration | 20 |');
    // Deleted resources' exposure is one line per type, so it cannot crowd out the rows below.
    expect(prod).toContain(
      '- 100 <code>aws&#95;sqs&#95;queue</code> deleted: their exposure goes with them (listed under the destructive changes)',
    );
  });

  it('lists every replacement and forget, then as many destroys as fit, within the comment', () => {
    expect(md.match(/^\| \*\*REPLACE\*\* \| <code>aws&#95;instance\.web&#91;\d+&#93;<\/code>/gm)).toHaveLength(50);
    expect(md.match(/^\| \*\*FORGET\*\* \| <code>aws&#95;s3&#95;bucket\.archive\d+<\/code>/gm)).toHaveLength(20);
    const rows = destroyRows(md);
    expect(rows).toBeLessThan(300);
    expect(md).toContain(
      `_${300 - rows} more destroy(s) not listed one by one: they are counted by type and reason above._`,
    );
    expect(md.length).toBeLessThanOrEqual(65536);
    // The other tiers still show.
    expect(md).toContain('### Terraform plan receipt — <code>dev</code>');
  });

  it('lists destroys one by one as the budget allows: more of them in a longer comment', () => {
    const wide = comment(receipts, '--max-chars', '150000');
    expect(destroyRows(wide)).toBeGreaterThan(Math.max(20, destroyRows(md)));
    expect(wide).toContain(
      `_${300 - destroyRows(wide)} more destroy(s) not listed one by one: they are counted by type and reason above._`,
    );
  });
});

/**
 * A failed apply's receipt keeps Terraform's error text, redacted as every other value: a real
 * `terraform apply -json` fails (a local-exec provisioner and a resource postcondition), with
 * credential shapes of the secrets-scan corpus (AWS key id, PEM line, GitHub token, high-entropy
 * password) and a canary in the command, its output and the error message; the receipt says what
 * failed and where, and no byte of any secret is in it or in what the scripts print.
 */
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactDiagnosticText } from '../../receipts/redact/diagnostic-text';
import { createFlow, ok } from '../pipeline/flow';

const pick = (alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const SECRETS = {
  awsKeyId: 'AKIA' + pick(UPPER + '234567', 16),
  pemLine: generateKeyPairSync('rsa', { modulusLength: 1024 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString()
    .split('\n')[1]!,
  githubToken: 'ghp_' + pick(UPPER + LOWER + DIGITS, 36),
  password: pick(UPPER, 4) + pick(LOWER, 8) + pick(DIGITS, 4) + pick(UPPER + LOWER, 8),
  canary: 'KFM-CANARY-APPLYERROR',
};
const leaks = (text: string) =>
  Object.entries(SECRETS)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);

describe('the error text of a failed apply', () => {
  it('is kept, redacted: what failed and where, no secret', () => {
    const flow = createFlow('kfm-apply-error-', 'c'.repeat(40));
    ok(flow.kfm('keygen', '--out-dir', join(flow.dir, 'keys')));
    const all = Object.values(SECRETS).join(' ');
    flow.stack('dev', {
      provisioned: {
        input: 'p',
        provisioner: [{ 'local-exec': { command: `echo ${all}; echo password=${SECRETS.password}; exit 3` } }],
      },
      checked: {
        input: 'wrong',
        lifecycle: {
          postcondition: [
            {
              condition: '${self.output == "right"}',
              error_message: `Rotate ${SECRETS.awsKeyId} now: password=${SECRETS.password} token ${SECRETS.githubToken} ${SECRETS.canary} ${SECRETS.pemLine}`,
            },
          ],
        },
      },
    });
    flow.planAndRecord('dev');
    const applied = flow.script('apply', 'dev');
    expect(applied.status).toBe(1);
    expect(leaks(applied.stdout + applied.stderr)).toEqual([]);
    const file = readdirSync(join(flow.dir, 'receipts')).find((f) => f.startsWith('dev.apply.'))!;
    const text = readFileSync(join(flow.dir, 'receipts', file), 'utf8');
    const payload = Buffer.from(JSON.parse(text).payload, 'base64').toString('utf8');
    expect(leaks(text + payload)).toEqual([]);
    const { errors, summary } = JSON.parse(payload).predicate;
    expect(summary.status).toBe('failed');
    const byAddress = Object.fromEntries(errors.map((e: { address: string }) => [e.address, e]));
    expect(byAddress['terraform_data.provisioned']).toMatchObject({
      summary: '… provisioner error',
      detail: expect.stringMatching(/^Error running command …: exit status 3\. Output: …$/),
    });
    // Terraform names no address for a failed postcondition: the text says what failed.
    expect(errors).toContainEqual({
      address: null,
      summary: 'Resource postcondition failed',
      detail: 'Rotate … now: … token …',
    });
  }, 300_000);
});

describe('redactDiagnosticText', () => {
  it.each([
    ['quoted text', `creating bucket "${SECRETS.canary}": conflict`, 'creating bucket …: conflict'],
    ['key=value', `bad value password=${SECRETS.password} given`, 'bad value … given'],
    [
      'ids and ARNs',
      'role arn:aws:iam::123456789012:role/x not found (StatusCode: 403)',
      'role … not found (StatusCode: 403)',
    ],
    ['provisioner output', `exit status 1. Output: ${SECRETS.password}\nmore`, 'exit status 1. Output: …'],
    ['an unclosed quote', `command 'echo ${SECRETS.githubToken}`, 'command …'],
  ])('replaces %s', (_what, input, expected) => {
    expect(redactDiagnosticText(input)).toBe(expected);
  });

  it('keeps a long text short', () => {
    expect(redactDiagnosticText('word '.repeat(200)).length).toBeLessThanOrEqual(400);
  });
});

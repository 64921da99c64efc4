/**
 * `kfm receipt show` of a keyless bundle names who signed it (issuer, subject, the workflow and ref
 * Fulcio certified) and as what the identity policy trusts it; a keyed receipt's rendering is
 * byte for byte what the renderer gives without a signer (the output before identities existed).
 * Against `@sigstore/mock` in a child process; the CLI runs as processes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readVerifiedStatement } from '../../attest/statement';
import { parseTrustedKey } from '../../attest/sign/ed25519';
import { renderMarkdown } from '../../receipts/render/markdown';
import { renderJson } from '../../receipts/render/json';
import { mdCode } from '../../receipts/render/escape';
import { kfm, PROV, TF, tmp } from '../receipts/helpers';
import { GITHUB_ISSUER, MockSigstore, spawnMockSigstore } from '../attest/sigstore-mock';

jest.setTimeout(120_000);

const CI = 'repo:acme/infra:environment:prod';
const PLAN = join(TF, 'generated-tf1.11.4', 'slow-apply-and-data-read', '1-create.show-plan.json');
const dir = tmp('kfm-show-identity-');
const f = (name: string): string => join(dir, name);
let mock: MockSigstore;

function ok(args: string[], env: Record<string, string> = {}): string {
  const r = kfm(args, { env });
  if (r.status !== 0) throw new Error(`kfm ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const policy = (subject: string, kinds = ['plan']) => ({
  identities: [{ role: 'ci', issuer: GITHUB_ISSUER, subject, kinds, envs: ['prod'] }],
});
const TRUST = (p = 'identities.json'): string[] => ['--trusted-root', f('root.json'), '--identity-policy', f(p)];

let keyed: string;
let keyless: string;

beforeAll(async () => {
  mock = await spawnMockSigstore();
  writeFileSync(f('root.json'), JSON.stringify(mock.trustedRoot));
  writeFileSync(f('identities.json'), JSON.stringify(policy('repo:acme/infra:environment:prod')));
  writeFileSync(f('approvals-only.json'), JSON.stringify(policy('repo:acme/infra:environment:prod', ['approval'])));
  writeFileSync(f('other-repo.json'), JSON.stringify(policy('repo:mallory/infra:environment:prod')));
  const key = JSON.parse(ok(['keygen', '--alg', 'p256', '--out-dir', f('job')])).key as string;
  keyed = f('prod.plan.receipt.json');
  ok(['receipt', 'plan', PLAN, '--env', 'prod', '--key', key, '--out', keyed, ...PROV]);
  keyless = f('prod.plan.receipt.sigstore.json');
  ok(
    ['receipt', 'certify', keyed, '--key', key, '--out', keyless, '--fulcio-url', mock.url, '--tsa-url', mock.url],
    mock.env(CI),
  );
});
afterAll(() => mock.close());

describe('kfm receipt show with identity trust', () => {
  it('shows the signer of a keyless bundle: issuer, subject, workflow and ref, and the policy entry that trusts it', () => {
    const md = ok(['receipt', 'show', keyless, ...TRUST()]);
    expect(md).toContain('- Receipt: <code>sha256:' /* digest of the bundle bytes */);
    expect(md).toMatch(/kfm\.infra\.PlanReceipt, keyless: Sigstore certificate verified under the trusted root\)/);
    const WF = 'https://github.com/acme/infra/.github/workflows/deploy.yml@refs/heads/main';
    expect(md).toContain(`- Signer: ${mdCode(CI)} (issuer ${mdCode(GITHUB_ISSUER)})\n`);
    expect(md).toContain(`- Workflow: ${mdCode(WF)} on ${mdCode('refs/heads/main')}\n`);
    expect(md).toContain(
      `- Trusted for this record: yes, role ${mdCode('ci')} (${mdCode(`${f('identities.json')}#0`)})\n`,
    );
    expect(md).not.toMatch(/verified with key/);
    expect(md).toContain('**Plan: 2 to add, 0 to change, 0 to destroy.**');
    const j = JSON.parse(ok(['receipt', 'show', keyless, ...TRUST(), '--format', 'json']));
    expect(j).toMatchObject({
      verified: true,
      identity: {
        issuer: GITHUB_ISSUER,
        subject: CI,
        workflow: 'https://github.com/acme/infra/.github/workflows/deploy.yml@refs/heads/main',
        ref: 'refs/heads/main',
      },
      trusted_as: [{ role: 'ci', source: `${f('identities.json')}#0` }],
      predicateType: 'https://kfm.dev/receipts/plan/v1',
    });
  });

  it('refuses (exit 3, one line naming the identity) a keyless bundle no trusted identity may sign, and one without identity flags', () => {
    const other = kfm(['receipt', 'show', keyless, ...TRUST('other-repo.json')]);
    expect({ status: other.status, out: other.stdout }).toEqual({ status: 3, out: '' });
    expect(other.stderr.trim()).toMatch(
      /signed by repo:acme\/infra:environment:prod \(issuer https:\/\/token\.actions\.githubusercontent\.com\), which no trusted identity matches$/,
    );
    const role = kfm(['receipt', 'show', keyless, ...TRUST('approvals-only.json')]);
    expect(role.status).toBe(3);
    expect(role.stderr).toMatch(/\(role ci\) may not sign a plan record for env prod/);
    const bare = kfm(['receipt', 'show', keyless, '--pub', f('job/kfm-signing.pub')]);
    expect(bare.status).toBe(3);
    expect(bare.stderr).toMatch(/a keyless Sigstore bundle; pass --trusted-root and --identity-policy/);
  });

  it('renders a keyed receipt exactly as the renderer without a signer does, with or without the identity flags', () => {
    const pub = parseTrustedKey(readFileSync(f('job/kfm-signing.pub')), 'job.pub');
    const v = readVerifiedStatement(readFileSync(keyed), keyed, [pub]);
    for (const extra of [[], TRUST()]) {
      const args = ['receipt', 'show', keyed, '--pub', f('job/kfm-signing.pub'), ...extra];
      expect(ok(args)).toBe(renderMarkdown(v, keyed));
      expect(ok([...args, '--format', 'json'])).toBe(renderJson(v, keyed));
    }
    expect(ok(['receipt', 'show', keyed, '--pub', f('job/kfm-signing.pub')])).toMatch(
      /verified with key <code>[0-9a-f]{16}<\/code>…\)/,
    );
  });
});

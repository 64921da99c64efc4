/**
 * A synth-time violation comes as one line per violation (construct path, rule, and for a label
 * the allowed values), exit code 1, no stack trace: from the app itself (synthOrFail, as main.ts
 * runs) and under a real `cdktf synth` of a stack with a bad label.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { synthOrFail, violationLines } from '../../constructs/synth-errors';
import { assertPolicyLabel, POLICY_LABELS } from '../../core/vocabulary';

const REPO = resolve(__dirname, '..', '..');
const ALLOWED = POLICY_LABELS.join(', ');

function run(build: () => { synth(): void }): { stderr: string; code: number | undefined } {
  let stderr = '';
  let code: number | undefined;
  synthOrFail(build, { stderr: (t) => (stderr += t), setExitCode: (c) => (code = c) });
  return { stderr, code };
}

describe('a synth violation from the app', () => {
  it('prints a label outside the vocabulary as one line naming the construct path and the allowed values, exit 1', () => {
    const r = run(() => {
      assertPolicyLabel('top-secret', { node: { path: 'dev/RawZone' } });
      return { synth: () => undefined };
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `VocabularyError: dev/RawZone: policy_label "top-secret" is not in the controlled vocabulary (${ALLOWED})\n`,
    );
  });

  it("prints each of cdktf's validation errors as its own line, without cdktf's wrapper and advice", () => {
    const e = new Error(
      "Validation failed with the following errors:\n  [dev] kfm policy r1 a.b (dev/B): x (fix: y) [bundle z]\n  [prod] second\n\nIf you wish to ignore these validations, pass 'skipValidation: true' to your App configuration.\n",
    );
    expect(violationLines(e)).toEqual(['[dev] kfm policy r1 a.b (dev/B): x (fix: y) [bundle z]', '[prod] second']);
  });

  it('keeps the stack trace of anything that is not a violation (a bug)', () => {
    expect(() =>
      run(() => {
        throw new TypeError('boom');
      }),
    ).toThrow(TypeError);
  });
});

describe('a real cdktf synth of a stack with a bad label', () => {
  const out = mkdtempSync(join(tmpdir(), 'kfm-synth-violation-'));
  const app = `node ${require.resolve('tsx/cli')} ${join(__dirname, 'support', 'bad-label-app.ts')}`;
  const r = spawnSync(
    process.execPath,
    [require.resolve('cdktf-cli/bundle/bin/cdktf'), 'synth', '--app', app, '--output', out],
    {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1', CDKTF_DISABLE_TELEMETRY: 'true', NO_COLOR: '1', CI: '1' },
      timeout: 170_000,
    },
  );
  const text = r.stdout + r.stderr;
  const label = text.split('\n').filter((l) => l.includes('kfm policy tags-from-vocabulary'));

  it('fails (exit non-zero) with one line per violation: rule, address, construct path, allowed values', () => {
    expect(r.status).not.toBe(0);
    expect(label.length).toBeGreaterThan(0);
    for (const l of label) {
      expect(l).toContain('aws_s3_bucket.RawZone_Bucket_E321F185 (dev/RawZone/Bucket): tag policy_label is not one of');
      expect(l).toContain(ALLOWED);
    }
    expect(text).toContain('kfm policy s3-bucket-encrypted aws_s3_bucket.RawZone_Bucket_E321F185 (dev/RawZone/Bucket)');
  });

  it('shows no stack trace and no "Validation failed" wrapper', () => {
    expect(text).not.toMatch(/^\s+at /m);
    expect(text).not.toContain('Validation failed with the following errors');
    expect(text).not.toContain('skipValidation');
    // cdktf itself echoes the app's output twice (its live log, then its closing summary): never more.
    expect(label.length).toBeLessThanOrEqual(2);
  });
});

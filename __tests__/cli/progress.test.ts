/**
 * Long work (append or verify of more than 1,000 entries) shows progress on stderr when it is a
 * terminal, and nothing when it is not (CI logs, pipes).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSigningKey } from '../../attest/sign/ed25519';
import { signStatement } from '../../attest/statement';
import { STATEMENT_TYPE } from '../../attest/predicate-types';
import { main } from '../../cli/main';
import { keypair, REPO, tmp } from '../receipts/helpers';

async function run(argv: string[], tty: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    env: {},
    cwd: REPO,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    stderrIsTTY: tty,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('progress on stderr for long work', () => {
  const keys = keypair();
  const d = tmp('kfm-progress-');
  const key = parseSigningKey(readFileSync(keys.key), keys.key);
  const files = Array.from({ length: 1100 }, (_, i) => {
    const f = join(d, `e${i}.json`);
    const st = {
      _type: STATEMENT_TYPE as typeof STATEMENT_TYPE,
      subject: [{ name: `n${i}`, digest: { sha256: createHash('sha256').update(String(i)).digest('hex') } }],
      predicateType: 'https://example.com/other/v1',
      predicate: { i },
    };
    writeFileSync(f, signStatement(st, key).bytes);
    return f;
  });

  it('appends 1,000 entries silently off a terminal, and 1,100 with progress on one', async () => {
    const quiet = await run(['audit', 'append', '--init', ...files.slice(0, 1000), '--store', join(d, 'a')], true);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
    const piped = await run(['audit', 'append', '--init', ...files, '--store', join(d, 'b')], false);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    const tty = await run(['audit', 'append', '--init', ...files, '--store', join(d, 'c')], true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toBe(
      '\rappend: 500 of 1100 entries\rappend: 1000 of 1100 entries\rappend: 1100 of 1100 entries, done\n',
    );
    expect(tty.stdout.trim().split('\n')).toHaveLength(1100);
  }, 120_000);

  it('verifies with progress on a terminal only', async () => {
    const args = ['audit', 'verify', '--store', join(d, 'c'), '--pub', keys.pub];
    expect((await run(args, false)).stderr).toBe('');
    const tty = await run(args, true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\rverify: 1100 entries, done\n$/);
  }, 120_000);
});

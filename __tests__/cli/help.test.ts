/**
 * A new user's first contact: every verb explains itself (`--help`, generated from the option
 * specs it parses with), `kfm --help` lists every verb, typos get a suggestion, a closed pipe is
 * not an error, and no stack trace ever reaches the terminal.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseSigningKey } from '../../attest/sign/ed25519';
import { signStatement } from '../../attest/statement';
import { STATEMENT_TYPE } from '../../attest/predicate-types';
import { join } from 'node:path';
import { CLI_ARGS, keypair, kfm, REPO, tmp } from '../receipts/helpers';

const nouns = (() => {
  const block = /const NOUNS[^{]*\{([\s\S]*?)\n\};/.exec(readFileSync(join(REPO, 'cli', 'main.ts'), 'utf8'))![1]!;
  return [...block.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]!);
})();

/** Every `noun verb` the CLI dispatches, as each noun's own --help lists them. */
const commands: string[][] = nouns.flatMap((noun) => {
  const r = kfm([noun, '--help']);
  expect(r.status).toBe(0);
  const verbs = [...r.stdout.matchAll(new RegExp(`^  kfm ${noun} ([a-z-]+) \\.\\.\\.$`, 'gm'))].map((m) => m[1]!);
  return verbs.length ? verbs.map((v) => [noun, v]) : [[noun]];
});

describe('kfm --help', () => {
  const top = kfm(['--help']);
  it('lists every verb of every noun, gate apply and audit verify-proof included', () => {
    expect(top.status).toBe(0);
    expect(commands.length).toBeGreaterThanOrEqual(19);
    for (const c of commands) expect(top.stdout).toMatch(new RegExp(`^  kfm ${c.join(' ')} `, 'm'));
    expect(top.stdout).toContain('kfm gate apply');
    expect(top.stdout).toContain('kfm audit verify-proof');
  });

  it('prints the version with --version', () => {
    const v = kfm(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toBe(`kfm ${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`);
  });
});

describe('every verb has --help: usage, each flag with its default, exit codes, one example', () => {
  it.each(commands.map((c) => [c.join(' '), c]))('kfm %s --help', (_name, c) => {
    const r = kfm([...(c as string[]), '--help']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^usage: kfm ${(c as string[]).join(' ')}`));
    expect(r.stdout).toMatch(/\nexit codes: 0 ok, 1 [^\n]*, 2 usage or bad input, 3 /);
    expect(r.stdout).toMatch(/\nexample:\n {2}kfm \S/);
    expect(r.stdout).not.toContain('(undocumented)');
    // Each flag in the usage line has its own line of help.
    const flags = [...r.stdout.split('\n')[0]!.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!);
    for (const f of flags) expect(r.stdout).toMatch(new RegExp(`^ {2}(-\\w, )?--${f}\\b.*\\S`, 'm'));
    // The example itself parses: it is a real command line of this verb.
    const ex = /\nexample:\n {2}kfm (.*)\n/.exec(r.stdout)![1]!;
    expect(ex.startsWith((c as string[]).join(' '))).toBe(true);
  });

  it('shows defaults from the spec (receipt show --max-chars, audit list --kind)', () => {
    expect(kfm(['receipt', 'show', '--help']).stdout).toMatch(/--max-chars N +longest output.*default: 65536/);
    expect(kfm(['audit', 'list', '--help']).stdout).toMatch(
      /--kind KIND +only this kind: plan, apply, drift, smoke, approval, promotion, other; default: all/,
    );
  });
});

describe('mistakes get the nearest suggestion, exit 2, one line', () => {
  it.each([
    [['recept', 'plan'], /unknown command "recept"; did you mean "receipt"\?/],
    [['audit', 'lst'], /did you mean "list"\?/],
    [['gate', 'promot'], /did you mean "promote"\?/],
    [['receipt', 'show', 'x.json', '--pubb', 'k'], /unknown option '--pubb'; did you mean --pub\?/],
    [['receipt', 'plan', 'p.json', '--plan-fil', 'f'], /did you mean --plan-file\?/],
  ])('kfm %j', (args, msg) => {
    const r = kfm(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});

/** `n` distinct signed statements of an unknown predicate type ("other"), as envelope files. */
function otherEnvelopes(dir: string, keyFile: string, n: number): string[] {
  const key = parseSigningKey(readFileSync(keyFile), keyFile);
  return Array.from({ length: n }, (_, i) => {
    const f = join(dir, `other-${i}.json`);
    const st = {
      _type: STATEMENT_TYPE as typeof STATEMENT_TYPE,
      subject: [{ name: `n${i}`, digest: { sha256: createHash('sha256').update(String(i)).digest('hex') } }],
      predicateType: 'https://example.com/other/v1',
      predicate: { i },
    };
    writeFileSync(f, signStatement(st, key).bytes);
    return f;
  });
}

describe('streams and failures', () => {
  it('ends quietly with exit 0 when the reader closes the pipe (kfm audit list | head -1)', () => {
    const keys = keypair();
    const d = tmp('kfm-epipe-');
    const store = join(d, 'audit');
    expect(kfm(['audit', 'append', '--init', ...otherEnvelopes(d, keys.key, 800), '--store', store]).status).toBe(0);
    const cli = CLI_ARGS.map((a) => `'${a}'`).join(' ');
    for (const json of ['--json', '']) {
      const sh = spawnSync(
        'bash',
        [
          '-c',
          `"${process.execPath}" ${cli} audit list --store '${store}' ${json} | head -1; echo "rc=\${PIPESTATUS[0]}"`,
        ],
        { encoding: 'utf8' },
      );
      expect(sh.stderr).toBe('');
      expect(sh.stdout.split('\n')).toHaveLength(3);
      expect(sh.stdout).toMatch(/\nrc=0\n$/);
    }
  });

  it('reports an unexpected failure as one INTERNAL line saying what to report, never a stack trace', async () => {
    const { main } = await import('../../cli/main');
    const err: string[] = [];
    const code = await main(['keygen', '--out-dir', join(tmp('kfm-internal-'), 'k')], {
      env: {},
      cwd: REPO,
      stdout: () => {
        throw new Error('disk on fire\n    at somewhere (file.ts:1:1)');
      },
      stderr: (t) => void err.push(t),
    });
    expect(code).toBe(4);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^kfm: INTERNAL: disk on fire \(a bug in kfm [0-9.]+: report this line and the command you ran/,
    );
    expect(err[0]).not.toMatch(/\n./);
  });
});

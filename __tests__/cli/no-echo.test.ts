/**
 * Malformed input may hold a secret (a truncated plan still carries variables and provider
 * configuration in clear): no command's error may quote it. Every JSON-reading command is fed
 * broken JSON around a canary, and must fail with exit 2, one stderr line, no canary anywhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'receipts', 'cli.js');
const CANARY = 'kfm-canary-Zq8xW3';
let dir: string;

const broken: Record<string, string> = {
  truncated: `{"format_version":"1.2","variables":{"db_password":{"value":"${CANARY}`,
  'bad token': `{"format_version":"1.2","configuration":{"provider_config":{"aws":{"secret_key":${CANARY}}}}}`,
  'trailing data': `{"format_version":"1.2"} ${CANARY}`,
  'bad escape': `{"x":"\\q${CANARY}"}`,
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kfm-noecho-'));
  mkdirSync(join(dir, 'audit'));
  expect(spawnSync(process.execPath, [CLI, 'keygen', '--out-dir', join(dir, 'k')]).status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commands: Record<string, (f: string) => string[]> = {
  'policy check --plan': (f) => ['policy', 'check', '--plan', f, '--json'],
  'policy check --synth': (f) => ['policy', 'check', '--synth', f],
  'receipt plan': (f) => [
    'receipt',
    'plan',
    f,
    '--env',
    'dev',
    '--key',
    join(dir, 'k', 'kfm-signing.key'),
    '--out',
    join(dir, 'never.json'),
  ],
  'receipt drift': (f) => [
    'receipt',
    'drift',
    f,
    '--env',
    'dev',
    '--key',
    join(dir, 'k', 'kfm-signing.key'),
    '--out',
    join(dir, 'never.json'),
  ],
  'receipt verify': (f) => ['receipt', 'verify', f, '--pub', join(dir, 'k', 'kfm-signing.pub')],
  'audit append': (f) => ['audit', 'append', f, '--store', join(dir, 'audit')],
  approve: (f) => [
    'approve',
    '--env',
    'prod',
    '--plan-receipt',
    f,
    '--principal',
    'r',
    '--key',
    join(dir, 'k', 'kfm-signing.key'),
    '--out',
    join(dir, 'never.json'),
  ],
};

describe.each(Object.entries(commands))('kfm %s on malformed JSON', (_name, args) => {
  it.each(Object.entries(broken))('%s: exit 2, one line naming the file, the input never quoted', (kind, text) => {
    const f = join(dir, `${kind.replace(/ /g, '-')}.json`);
    writeFileSync(f, text);
    const r = spawnSync(process.execPath, [CLI, ...args(f)], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(f);
  });
});

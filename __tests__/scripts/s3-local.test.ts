/**
 * scripts/s3-local.sh start, when it fails, leaves nothing running: a start killed mid-way (as a
 * caller's timeout kills it) stops every daemon it spawned. An orphaned radosgw would keep its
 * port, and every later start of the same state dir would fail with "already in use".
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { S3_LOCAL } from '../support/local-s3-script';
import { tempDir } from '../ledger/helpers';

const installed =
  spawnSync('bash', ['-c', 'command -v ceph-mon && command -v ceph-osd && command -v radosgw']).status === 0;
/**
 * npm test starts radosgw once for the whole run (jest's globalSetup); this test starts a second
 * cluster (about 50 s on 2 cores), so it runs when asked: KFM_TEST_S3_LIFECYCLE=1 npx jest
 * __tests__/scripts/s3-local.test.ts (DEVELOPERS.md, "Local S3").
 */
const asked = process.env.KFM_TEST_S3_LIFECYCLE === '1';
if (asked && !installed && process.env.KFM_REQUIRE_S3 !== '1')
  console.warn('\n*** s3-local.sh start/stop tests NOT RUN: ceph-mon, ceph-osd or radosgw not installed. ***\n');

/** A port nothing listens on now (the OS picks it), so this test's cluster never meets the shared one. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Live processes started with this state dir's ceph.conf. */
function daemonsOf(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let args = '';
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (args.includes(` -c ${dir}/ceph.conf `)) out.push(`${pid}: ${args.trim()}`);
  }
  return out;
}

async function until(what: string, ok: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

(asked && (installed || process.env.KFM_REQUIRE_S3 === '1') ? describe : describe.skip)(
  'scripts/s3-local.sh start',
  () => {
    const dir = join(tempDir('s3-local-killed'), 'state');
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      env = {
        ...process.env,
        KFM_S3_DIR: dir,
        RGW_PORT: String(await freePort()),
        RGW_MON_PORT: String(await freePort()),
      };
    });
    afterAll(() => {
      spawnSync('bash', [S3_LOCAL, 'stop'], { env, encoding: 'utf8', timeout: 60_000 });
    });

    it('killed mid-way (a timeout), stops every daemon it spawned, radosgw included, and leaves no pid file', async () => {
      const child = spawn('bash', [S3_LOCAL, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      // radosgw spawned: mon and osd are up, the server not yet answering.
      await until(
        'radosgw to be spawned',
        () => existsSync(join(dir, 'pids', 'rgw.pid')) || child.exitCode !== null,
        240,
      );
      expect([child.exitCode, stderr]).toEqual([null, expect.stringContaining('rgw on 127.0.0.1')]);
      expect(daemonsOf(dir).length).toBeGreaterThanOrEqual(3);
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr).toMatch(/start failed; stopping daemons/);
      expect(daemonsOf(dir)).toEqual([]);
      expect(readdirSync(join(dir, 'pids')).filter((f) => f.endsWith('.pid'))).toEqual([]);
    }, 300_000);
  },
);

/**
 * Faults are named, never mistaken for tampering and never a hang: an S3 server that stops
 * answering (a black-hole endpoint: it accepts connections and never replies, as a paused
 * radosgw does), a directory store on a full or read-only file system (a real tmpfs, mounted
 * when the test may mount; as non-root the EFBIG of `ulimit -f` stands in for a full disk),
 * and non-regular files (a FIFO, a symbolic link to /dev/zero) placed in the store.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { CLI_ONE_PROCESS_ARGS } from '../support/cli';
import { makeEnvelopes, makeKey, KeyFiles, REPO, tempDir } from './helpers';

/** The CLI as a child, killed after `ms` (a hang shows as signal SIGKILL, never as a pass). */
function run(args: readonly string[], env: NodeJS.ProcessEnv = process.env, ms = 60_000, shell?: string) {
  const cmd = shell
    ? spawnSync('bash', ['-c', `${shell}; exec "$0" "$@"`, process.execPath, ...CLI_ONE_PROCESS_ARGS, ...args], {
        cwd: REPO,
        env,
        encoding: 'utf8',
        timeout: ms,
        killSignal: 'SIGKILL',
      })
    : spawnSync(process.execPath, [...CLI_ONE_PROCESS_ARGS, ...args], {
        cwd: REPO,
        env,
        encoding: 'utf8',
        timeout: ms,
        killSignal: 'SIGKILL',
      });
  return { code: cmd.status ?? -1, signal: cmd.signal, stdout: cmd.stdout, stderr: cmd.stderr };
}

let dir: string;
let key: KeyFiles;
let envs: string[];

beforeAll(() => {
  dir = tempDir('store-faults');
  key = makeKey(join(dir, 'keys'), 'ci');
  envs = makeEnvelopes(join(dir, 'env'), key, 4, `faults-${Math.random()}`);
});

describe('an S3 server that stops answering', () => {
  let server: Server;
  let port: number;
  const held: Socket[] = [];

  beforeAll(async () => {
    // Accepts every connection and never answers: what a SIGSTOPped radosgw looks like to a client.
    server = createServer((s) => held.push(s));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    held.forEach((s) => s.destroy());
    await new Promise((res) => server.close(res));
  });

  const env = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: 'fault-test',
    AWS_SECRET_ACCESS_KEY: 'fault-test-secret',
    KFM_S3_TIMEOUT_MS: '1000',
    KFM_S3_MAX_ATTEMPTS: '2',
  });

  it('an append gives up within its bounds, naming the request and saying to re-run it (exit 4)', () => {
    const started = Date.now();
    const r = run(
      [
        'audit',
        'append',
        '--init',
        envs[0],
        '--store',
        's3://kfm-fault-test/x',
        '--endpoint',
        `http://127.0.0.1:${port}`,
      ],
      env(),
    );
    const took = Date.now() - started;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /STORE_UNAVAILABLE: S3 ListObjectVersions s3:\/\/kfm-fault-test\/x\/.*TimeoutError after 2 attempt/,
    );
    expect(r.stderr).toMatch(/re-run the same command \(appends are idempotent/);
    expect(r.stderr).not.toMatch(/INTERNAL/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(took).toBeLessThan(40_000);
  });

  it('a verify gives up within its bounds the same way (exit 4, never a verdict on the log)', () => {
    const r = run(
      [
        'audit',
        'verify',
        '--store',
        's3://kfm-fault-test/x',
        '--endpoint',
        `http://127.0.0.1:${port}`,
        '--pub',
        key.pub,
      ],
      env(),
    );
    expect(r.signal).toBeNull();
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/STORE_UNAVAILABLE: S3 \w+ s3:\/\/kfm-fault-test\/.*re-run the same command/);
    expect(r.stderr).not.toMatch(/LOG_INTEGRITY|INTERNAL/);
  });

  it('refuses a timeout that is not a number (exit 2)', () => {
    const r = run(['audit', 'verify', '--store', 's3://kfm-fault-test/x', '--pub', key.pub], {
      ...env(),
      KFM_S3_TIMEOUT_MS: 'soon',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KFM_S3_TIMEOUT_MS "soon": expected an integer/);
  });
});

describe('non-regular files in a directory store', () => {
  function store(n: number): string {
    const spec = join(dir, `st-${Math.random()}`);
    expect(run(['audit', 'append', '--init', ...envs.slice(0, n), '--store', spec]).code).toBe(0);
    return spec;
  }

  // Placed where the next entry goes, a FIFO or a symbolic link is an object planted ahead of the
  // log: junk (listed, never opened), and a directory store's appender refuses to write past it.
  it('a FIFO placed as the next entry stalls neither verify nor append: junk, named, never read', () => {
    const spec = store(2);
    const fifo = join(spec, 'entries', '000000000003.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const v = run(['audit', 'verify', '--store', spec, '--pub', key.pub], process.env, 30_000);
    expect(v.signal).toBeNull();
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(
      /note: junk: .*000000000003\.json: is a FIFO where a log file belongs \(not read\); entry object that does not chain onto entry 2/,
    );
    const a = run(['audit', 'append', '--init', envs[3], '--store', spec], process.env, 30_000);
    expect(a.signal).toBeNull();
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(
      /STORE_INVALID: .*000000000003\.json: an object that does not chain onto entry 2 is where entry 3 goes/,
    );
    unlinkSync(fifo);
    expect(run(['audit', 'append', envs[3], '--store', spec]).code).toBe(0);
  });

  it('a FIFO inside the log (entries after it) is damage: exit 3 naming it, never read', () => {
    const spec = store(3);
    const name = join(spec, 'entries', '000000000002.json');
    unlinkSync(name);
    expect(spawnSync('mkfifo', [name]).status).toBe(0);
    const v = run(['audit', 'verify', '--store', spec, '--pub', key.pub], process.env, 30_000);
    expect(v.signal).toBeNull();
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/000000000002\.json: is a FIFO where a log file belongs \(not read\)/);
  });

  it('a symbolic link to /dev/zero placed as an entry is not followed', () => {
    const spec = store(2);
    symlinkSync('/dev/zero', join(spec, 'entries', '000000000003.json'));
    const v = run(['audit', 'verify', '--store', spec, '--pub', key.pub], process.env, 30_000);
    expect(v.signal).toBeNull();
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(
      /note: junk: .*000000000003\.json: is a symbolic link where a log file belongs \(not read\)/,
    );
    expect(run(['audit', 'verify', '--store', spec, '--pub', key.pub, '--strict'], process.env, 30_000).code).toBe(3);
  });

  it('a FIFO under another name, or as a checkpoint, is junk: listed, never opened, never a failure', () => {
    const spec = store(2);
    expect(spawnSync('mkfifo', [join(spec, 'entries', 'pipe')]).status).toBe(0);
    mkdirSync(join(spec, 'checkpoints'), { recursive: true });
    expect(spawnSync('mkfifo', [join(spec, 'checkpoints', '000000000002.deadbeef.txt')]).status).toBe(0);
    const v = run(['audit', 'verify', '--store', spec, '--pub', key.pub], process.env, 30_000);
    expect(v.signal).toBeNull();
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/note: junk: .*entries\/pipe: unexpected object/);
    expect(v.stderr).toMatch(/note: junk: .*000000000002\.deadbeef\.txt/);
  });
});

/** A tmpfs of `size` mounted at a fresh directory, or undefined when this process may not mount. */
function tmpfs(size: string): string | undefined {
  const at = join(dir, `mnt-${Math.random().toString(16).slice(2)}`);
  mkdirSync(at);
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]).status === 0 ? at : undefined;
}

describe('a directory store on a full or read-only file system', () => {
  const mounted: string[] = [];
  afterAll(() => mounted.forEach((m) => spawnSync('umount', ['-l', m])));

  it('a full disk is IO_ERROR naming the path and the cause; nothing half-written stays', () => {
    const mnt = tmpfs('256k');
    let r;
    let spec: string;
    if (mnt !== undefined) {
      mounted.push(mnt);
      spec = join(mnt, 'audit');
      expect(run(['audit', 'append', '--init', envs[0], '--store', spec]).code).toBe(0);
      // Fill the file system.
      spawnSync('bash', ['-c', `dd if=/dev/zero of=${join(mnt, 'fill')} bs=4k 2>/dev/null || true`]);
      r = run(['audit', 'append', '--init', envs[1], '--store', spec]);
      expect(r.stderr).toMatch(
        /IO_ERROR: .*audit\/entries\/000000000002\.json: cannot write \(ENOSPC: no space left on device\)/,
      );
    } else {
      // No mount allowed: the file-size limit gives the same failure of write(2), EFBIG.
      spec = join(dir, `efbig-${Math.random()}`);
      expect(run(['audit', 'append', '--init', envs[0], '--store', spec]).code).toBe(0);
      r = run(
        ['audit', 'append', '--init', envs[1], '--store', spec],
        process.env,
        60_000,
        "trap '' XFSZ; ulimit -f 0",
      );
      expect(r.stderr).toMatch(/IO_ERROR: .*000000000002\.json: cannot write \(EFBIG: file too large\)/);
    }
    expect(r.code).toBe(4);
    expect(r.stderr).not.toMatch(/INTERNAL|bug in kfm/);
    expect(r.stderr).toMatch(/re-run the same command/);
    // No temp file and no entry 2 were left behind; the log still verifies.
    expect(readdirSync(join(spec, 'entries'))).toEqual(['000000000001.json']);
  });

  it('a read-only file system is IO_ERROR naming the path and EROFS (only where a tmpfs can be mounted)', () => {
    const mnt = tmpfs('1m');
    if (mnt === undefined) {
      // As non-root nothing can be made read-only for root-equivalent checks: covered by EFBIG above.
      return;
    }
    mounted.push(mnt);
    const spec = join(mnt, 'audit');
    expect(run(['audit', 'append', '--init', envs[0], '--store', spec]).code).toBe(0);
    expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
    const r = run(['audit', 'append', '--init', envs[1], '--store', spec]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /IO_ERROR: .*audit\/entries\/000000000002\.json: cannot create a file next to \(EROFS: read-only file system\)/,
    );
    expect(r.stderr).not.toMatch(/INTERNAL/);
    const v = run(['audit', 'verify', '--store', spec, '--pub', key.pub]);
    expect(v.code).toBe(0);
  });

  it('a store directory that cannot be created is IO_ERROR naming it', () => {
    const file = join(dir, `plain-file-${Math.random()}`);
    writeFileSync(file, 'x');
    const r = run(['audit', 'append', '--init', envs[0], '--store', join(file, 'audit')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /IO_ERROR: .*plain-file-[0-9.]+\/audit\/.*\(ENOTDIR: a path component is not a directory\)/,
    );
    expect(r.stderr).not.toMatch(/INTERNAL/);
  });
});

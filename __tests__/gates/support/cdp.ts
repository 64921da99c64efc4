/**
 * A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe` (fd 3 in, fd 4 out,
 * messages separated by NUL): no WebSocket, no npm dependency, a real headless Chromium.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';

const REPO = resolve(__dirname, '..', '..', '..');

/** The chromium binary, installed by scripts/chromium.sh if missing; throws loudly if it cannot be. */
export function chromiumPath(): string {
  const r = spawnSync('bash', [join(REPO, 'scripts', 'chromium.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !r.stdout.trim())
    throw new Error(`CHROMIUM UNAVAILABLE: the browser test cannot run: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout.trim();
}

/** The flags every run uses: headless, no sandbox (containers), nothing phoning home. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

type Msg = {
  id?: number;
  method?: string;
  params?: any;
  result?: any;
  error?: { message: string };
  sessionId?: string;
};

export class Browser {
  private next = 1;
  private readonly pending = new Map<number, { ok: (v: any) => void; fail: (e: Error) => void }>();
  readonly events: Msg[] = [];
  private readonly waiters: { method: string; ok: (m: Msg) => void }[] = [];
  private constructor(
    private readonly proc: ChildProcess,
    private readonly profile: string,
  ) {
    const out = proc.stdio[4] as Readable;
    let buf = '';
    out.setEncoding('utf8');
    out.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
        const m = JSON.parse(buf.slice(0, i)) as Msg;
        buf = buf.slice(i + 1);
        if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.error) p?.fail(new Error(m.error.message));
          else p?.ok(m.result);
        } else {
          this.events.push(m);
          for (const w of this.waiters.filter((x) => x.method === m.method)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.ok(m);
          }
        }
      }
    });
  }

  static launch(bin: string, extra: string[] = []): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'kfm-chromium-'));
    const proc = spawn(
      bin,
      [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe', ...extra, 'about:blank'],
      {
        stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
      },
    );
    return new Browser(proc, profile);
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.next++;
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail });
      (this.proc.stdio[3] as Writable).write(
        JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0',
      );
    });
  }

  waitFor(method: string, timeoutMs = 30_000): Promise<Msg> {
    return new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`timeout waiting for ${method}`)), timeoutMs);
      this.waiters.push({ method, ok: (m) => (clearTimeout(t), ok(m)) });
    });
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

/**
 * A Sigstore made for tests, offline: `@sigstore/mock`'s Fulcio, Rekor (v1) and timestamp
 * authority served over real HTTP on 127.0.0.1, a GitHub Actions OIDC token endpoint (what
 * `CIContextProvider` asks, with ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN), and the trusted root that
 * trusts exactly this CA, log, CT log and TSA. The token is an unsigned JWT: the mock Fulcio,
 * like the test, does not check the OIDC provider's signature (the real Fulcio does).
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  HandlerFn,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  rekorV2Handler,
  tsaHandler,
} from '@sigstore/mock';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export interface MockSigstore {
  readonly url: string;
  readonly trustedRoot: Record<string, unknown>;
  /** Env for a process signing as `subject` through the GitHub Actions token endpoint. */
  env(subject: string, extra?: Record<string, string>): Record<string, string>;
  /**
   * Backdate the CA by `ms` for the certificates it issues from now on (0: back to now): a
   * certificate that has expired when the log or timestamp authority sees the signature.
   */
  setCaOffset(ms: number): Promise<void>;
  close(): Promise<void>;
}

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsigned JWT with GitHub's issuer and the workflow claims Fulcio turns into extensions. */
export function githubToken(subject: string, claims: Record<string, string> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const body = {
    iss: GITHUB_ISSUER,
    sub: subject,
    aud: 'sigstore',
    iat: now,
    exp: now + 300,
    repository: 'acme/infra',
    ref: 'refs/heads/main',
    workflow_ref: 'acme/infra/.github/workflows/deploy.yml@refs/heads/main',
    // What Fulcio certifies as the Build Signer URI (https://github.com/ + this).
    job_workflow_ref: 'acme/infra/.github/workflows/deploy.yml@refs/heads/main',
    ...claims,
  };
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(body)}.`;
}

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const der = (k: import('node:crypto').KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });
const b64 = (b: ArrayBufferView | Buffer): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/**
 * Start the mock services. `caClock` backdates the CA (its certificates last 10 minutes from
 * then): an expired certificate when the timestamp is now.
 */
export async function startMockSigstore(opts: { caClock?: Date } = {}): Promise<MockSigstore> {
  const ctKeys = p256();
  const ctlog = await initializeCTLog(ctKeys);
  // The CA's clock is a Date it reads on every request: set before each one to now + caOffset.
  let caOffset = opts.caClock ? opts.caClock.getTime() - Date.now() : 0;
  const caClock = new Date();
  const ca = await initializeCA(p256(), ctlog, caClock);
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlogKeys = p256();
  const tlog = await initializeTLog(url, tlogKeys);
  // @sigstore/verify reads a GeneralizedTime only with 3 fraction digits, and the mock TSA writes
  // "…T00:00:00.12Z" when the milliseconds end in 0: its clock is set before each request to
  // this second + 0.111 s (never before the certificate's notBefore, which has no fraction).
  const tsaClock = new Date();
  const tsa = await initializeTSA(p256(), tsaClock);
  const routes: Record<string, HandlerFn> = {};
  for (const h of [fulcioHandler(ca), rekorHandler(tlog), rekorV2Handler(tlog), tsaHandler(tsa)]) routes[h.path] = h.fn;
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      if (req.method === 'POST' && path === '/test/ca-offset') {
        caOffset = Number(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'GET' && path === '/oidc/token') {
        const audience = new URL(req.url!, url).searchParams.get('audience');
        const subject = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ value: githubToken(decodeURIComponent(subject), { aud: audience ?? '' }) }));
        return;
      }
      const t = Date.now();
      caClock.setTime(t + caOffset);
      tsaClock.setTime(t - (t % 1000) + 111);
      const fn = routes[path];
      if (req.method !== 'POST' || fn === undefined) {
        res.writeHead(404).end();
        return;
      }
      void fn(Buffer.concat(chunks).toString('utf8')).then(({ statusCode, response, contentType }) => {
        res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
        res.end(
          typeof response === 'string'
            ? response
            : Buffer.from(response.buffer, response.byteOffset, response.byteLength),
        );
      });
    });
  });
  const start = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(der(ctKeys.publicKey)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };
  return {
    url,
    trustedRoot,
    env: (subject, extra) => tokenEnv(url, subject, extra),
    setCaOffset: (ms) => setCaOffset(url, ms),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Ask the mock at `url` to backdate its CA by `ms` (its test-only control endpoint). */
async function setCaOffset(url: string, ms: number): Promise<void> {
  const r = await fetch(`${url}/test/ca-offset`, { method: 'POST', body: String(ms) });
  if (r.status !== 204) throw new Error(`mock sigstore: ca-offset answered ${r.status}`);
}

/** Env for a process signing as `subject` through the mock's GitHub Actions token endpoint. */
function tokenEnv(url: string, subject: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/oidc/token`,
    // The test endpoint answers with a token for the subject this request token names.
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: encodeURIComponent(subject),
    ...extra,
  };
}

/**
 * The mock services in a child process (./sigstore-mock-server.ts), for tests that run the CLI
 * with spawnSync (which blocks this process's event loop). `caClockOffsetMs` backdates the CA.
 */
export async function spawnMockSigstore(caClockOffsetMs = 0): Promise<MockSigstore> {
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), join(__dirname, 'sigstore-mock-server.ts'), String(caClockOffsetMs)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    child.on('exit', (code) => reject(new Error(`mock sigstore exited with ${code}`)));
  });
  const { url, trustedRoot } = JSON.parse(line) as { url: string; trustedRoot: Record<string, unknown> };
  return {
    url,
    trustedRoot,
    env: (subject, extra) => tokenEnv(url, subject, extra),
    setCaOffset: (ms) => setCaOffset(url, ms),
    close: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.stdin.end();
      }),
  };
}

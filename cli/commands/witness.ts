/**
 * `kfm witness serve --key KEY --name NAME --log ORIGIN=PUB [--log ...] --state DIR --listen HOST:PORT`
 *
 * A C2SP tlog-witness over node:http: POST /add-checkpoint (ledger/witness/witness.ts holds the
 * protocol), GET /<sha256(origin) hex>/checkpoint for monitors. Prints the URL it listens on
 * (one line on stdout), then serves until SIGTERM or SIGINT, finishing requests in flight.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ReceiptError, isReceiptError } from '../../core/errors';
import { MAX_BODY_BYTES, WitnessCore, WitnessedLog } from '../../ledger/witness/witness';
import { parseCommandArgs, pickVerb, requireOpt } from '../lib/args';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { Command, CommandIo } from '../lib/types';

export const witness: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('witness', verb, { serve })(io, rest);
};

function logsFrom(values: Record<string, unknown>): WitnessedLog[] {
  const byOrigin = new Map<string, WitnessedLog>();
  for (const spec of many(values.log)) {
    const i = spec.lastIndexOf('=');
    if (i <= 0 || i === spec.length - 1)
      throw new ReceiptError('USAGE', 'kfm witness serve: --log must be ORIGIN=PUBLIC_KEY_FILE');
    const origin = spec.slice(0, i);
    const key = loadTrustedKeys([spec.slice(i + 1)])[0];
    const prev = byOrigin.get(origin);
    byOrigin.set(origin, { origin, keys: [...(prev?.keys ?? []), key] });
  }
  if (byOrigin.size === 0)
    throw new ReceiptError('USAGE', 'kfm witness serve: at least one --log ORIGIN=PUB is required');
  return [...byOrigin.values()];
}

function listenFrom(spec: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(spec);
  if (!m || Number(m[2]) > 65535)
    throw new ReceiptError('USAGE', 'kfm witness serve: --listen must be HOST:PORT (port 0 picks one)');
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function serve(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'witness serve',
    argv,
    {
      key: { type: 'string', required: true, help: "the witness's own private key" },
      name: { type: 'string', required: true, arg: 'NAME', help: "the witness's name in cosignatures" },
      log: {
        type: 'string',
        multiple: true,
        required: true,
        arg: 'ORIGIN=PUB',
        help: 'a log it witnesses, by origin and key',
      },
      state: { type: 'string', required: true, arg: 'DIR', help: 'where it keeps the newest checkpoint per log' },
      listen: { type: 'string', required: true, arg: 'HOST:PORT', help: 'address to serve on (port 0: any free port)' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Serve a C2SP checkpoint witness over HTTP until SIGTERM.',
      example:
        'witness serve --key w.key --name w1 --log kfm-infra/audit=keys/kfm-ci.pub --state .kfm/w1 --listen 127.0.0.1:0',
    },
  );
  const key = loadSigningKey(requireOpt('witness serve', values, 'key'));
  const name = requireOpt('witness serve', values, 'name');
  const stateDir = requireOpt('witness serve', values, 'state');
  const { host, port } = listenFrom(requireOpt('witness serve', values, 'listen'));
  const logs = logsFrom(values);
  // A witness whose key signs the log's checkpoints would "witness" its own rollback.
  for (const l of logs)
    for (const k of l.keys)
      if (k.keyid === key.keyid)
        throw new ReceiptError(
          'USAGE',
          `kfm witness serve: --key and --log ${l.origin}=${k.source} are the same key: a witness's key must not be a key of the log it witnesses (give it its own: kfm keygen)`,
        );
  const core = new WitnessCore({
    name,
    key,
    logs,
    stateDir,
    now: () => Math.floor(Date.now() / 1000),
  });
  const server = createServer(handlerFor(core, io));
  server.keepAliveTimeout = 5_000;
  await listen(server, host, port);
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  io.stdout(`http://${shown}:${addr.port}\n`);
  await untilSignal(server);
  return 0;
}

const PLAIN = 'text/plain; charset=utf-8';

/** POST /add-checkpoint to the witness, GET /<sha256(origin) hex>/checkpoint for monitors; 500 (never a cosignature) on a state error. */
function handlerFor(core: WitnessCore, io: CommandIo): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/add-checkpoint') {
      if (req.method !== 'POST') return answer(res, 405, PLAIN, 'use POST\n');
      const body = await readBody(req);
      if (body === undefined) return answer(res, 400, PLAIN, `body larger than ${MAX_BODY_BYTES} bytes\n`);
      const a = await core.addCheckpoint(body);
      return answer(res, a.status, a.contentType, a.body);
    }
    const m = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path);
    if (m && req.method === 'GET') {
      const note = core.latest(m[1]);
      return note === undefined
        ? answer(res, 404, PLAIN, 'no checkpoint cosigned for this log\n')
        : answer(res, 200, PLAIN, note);
    }
    return answer(res, 404, PLAIN, 'not found\n');
  };
  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      // The state could not be read or written: answer 500 and never cosign.
      io.stderr(
        `kfm: witness: ${isReceiptError(e) ? `${e.code}: ${e.message}` : `INTERNAL: ${String((e as Error)?.message ?? e).split('\n')[0]}`}\n`,
      );
      if (!res.headersSent) answer(res, 500, PLAIN, 'witness error\n');
      else res.destroy();
    });
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new ReceiptError('USAGE', `kfm witness serve: cannot listen on ${host}:${port} (${e.code ?? e.message})`)),
    );
    server.listen(port, host, () => resolve());
  });
}

/** Serve until SIGTERM or SIGINT, then finish the requests in flight. */
function untilSignal(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      server.close(() => resolve());
      server.closeIdleConnections();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

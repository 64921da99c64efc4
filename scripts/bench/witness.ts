/**
 * Witness benchmark (npm run bench witness): one `kfm witness serve` process on loopback; the
 * time of N sequential add-checkpoint requests, each growing the tree by one entry with its
 * consistency proof (the witness fsyncs its state file and directory before every answer), and
 * of one `kfm audit checkpoint` asking two witnesses for a 1,000-entry log. JSON lines, then a
 * summary. No goal: a witness answers a few requests per deployment.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { generateKeyPairPem, parseSigningKey } from '../../attest/sign/ed25519';
import { signCheckpoint } from '../../ledger/checkpoint';
import { consistencyRanges, hashRanges, leafHash, rootOfLeafHashes } from '../../ledger/merkle';
import { openStore } from '../../ledger/open-store';
import { formatAddCheckpoint } from '../../ledger/witness/witness';

const CLI = join(resolve(__dirname, '..', '..'), 'dist', 'receipts', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'kfm-bench-witness-'));
const emit = (r: Record<string, number | string>) => console.log(JSON.stringify({ bench: 'witness', ...r }));

function keys(name: string) {
  const k = generateKeyPairPem();
  writeFileSync(join(root, `${name}.key`), k.privatePem);
  writeFileSync(join(root, `${name}.pub`), k.publicPem);
  return {
    key: join(root, `${name}.key`),
    pub: join(root, `${name}.pub`),
    signing: parseSigningKey(k.privatePem, name),
  };
}

async function serve(name: string, logPub: string) {
  const w = keys(name);
  const child = spawn(process.execPath, [
    CLI,
    'witness',
    'serve',
    '--key',
    w.key,
    '--name',
    `bench/${name}`,
    '--log',
    `kfm-infra/audit=${logPub}`,
    '--state',
    join(root, `state-${name}`),
    '--listen',
    '127.0.0.1:0',
  ]);
  const url = await new Promise<string>((res) => child.stdout.once('data', (d) => res(String(d).trim())));
  return { ...w, url, child };
}

(async () => {
  const log = keys('log');
  const w1 = await serve('w1', log.pub);
  const N = 300;
  const leaves = Array.from({ length: N }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
  const bodies = leaves.map((_, i) => {
    const n = i + 1;
    const note = signCheckpoint(
      { origin: 'kfm-infra/audit', size: n, root: rootOfLeafHashes(leaves.slice(0, n)) },
      log.signing,
    );
    return formatAddCheckpoint(n - 1, n === 1 ? [] : hashRanges(leaves.slice(0, n), consistencyRanges(n - 1, n)), note);
  });
  const t0 = performance.now();
  for (const b of bodies) {
    const r = await fetch(`${w1.url}/add-checkpoint`, { method: 'POST', body: b });
    await r.text();
    if (r.status !== 200) throw new Error(`witness answered ${r.status}`);
  }
  const seqMs = performance.now() - t0;
  emit({
    measure: 'sequential add-checkpoint',
    requests: N,
    ms: Math.round(seqMs),
    ms_per_request: +(seqMs / N).toFixed(2),
  });

  const w2 = await serve('w2', log.pub);
  const w3 = await serve('w3', log.pub);
  const store = join(root, 'audit');
  const s = openStore(store, { env: {} });
  for (let i = 0; i < 1000; i++) {
    const st = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `b-${i}`, digest: { sha256: '0'.repeat(64) } }],
      predicateType: 'https://kfm.example/bench/v1',
      predicate: { i },
    };
    await s.append(
      Buffer.from(
        serializeEnvelope(signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), log.signing)),
      ),
    );
  }
  const t1 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'audit',
      'checkpoint',
      '--store',
      store,
      '--key',
      log.key,
      '--out',
      join(root, 'cp.txt'),
      '--witness',
      `bench/w2=${w2.pub}`,
      '--witness-url',
      `bench/w2=${w2.url}`,
      '--witness',
      `bench/w3=${w3.pub}`,
      '--witness-url',
      `bench/w3=${w3.url}`,
      '--quorum',
      '2',
    ],
    { encoding: 'utf8' },
  );
  const cpMs = performance.now() - t1;
  if (r.status !== 0) throw new Error(r.stderr);
  emit({
    measure: 'audit checkpoint, 2 witnesses, 1000 entries',
    ms: Math.round(cpMs),
    cosigners: JSON.parse(r.stdout).cosigners.length,
  });
  for (const w of [w1, w2, w3]) w.child.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
  console.error(
    `witness: ${(seqMs / N).toFixed(1)} ms per add-checkpoint (fsync'd), audit checkpoint with 2 witnesses over 1000 entries ${Math.round(cpMs)} ms`,
  );
})();

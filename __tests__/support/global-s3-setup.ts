/**
 * Jest globalSetup: start the local radosgw (scripts/s3-local.sh) ONCE for the whole run, so every
 * test that needs a real S3 server finds it up — whatever order the workers run the files in —
 * and no file starts or stops it for the others. Nothing is exported into the workers' environment
 * (tests that must see no S3 endpoint stay clean); a test asks `s3-local.sh start`, which answers
 * at once with the running server's exports. When it cannot start, the S3 tests skip loudly, or the
 * run fails under KFM_REQUIRE_S3=1. A run of chosen files (`npx jest FILE…`) starts nothing here:
 * its S3 tests start the server themselves, as before.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { S3_LOCAL, S3_STARTED_MARK } from './local-s3-script';

interface RunConfig {
  readonly testPathPatterns?: { readonly patterns?: readonly string[] } | readonly string[];
}

function choseFiles(config: RunConfig): boolean {
  const p = config.testPathPatterns;
  const list = Array.isArray(p) ? p : ((p as { patterns?: readonly string[] } | undefined)?.patterns ?? []);
  return list.length > 0;
}

export default function startLocalS3OnceForTheRun(config: RunConfig): void {
  if (choseFiles(config)) return;
  const wasUp = spawnSync('bash', [S3_LOCAL, 'status'], { encoding: 'utf8' }).status === 0;
  if (wasUp) return;
  const started = spawnSync('bash', [S3_LOCAL, 'start'], { encoding: 'utf8', timeout: 300_000 });
  if (started.status === 0) {
    writeFileSync(S3_STARTED_MARK, `${process.pid}\n`);
    return;
  }
  const why = `scripts/s3-local.sh start exited ${started.status}: ${(started.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
  if (process.env.KFM_REQUIRE_S3 === '1') throw new Error(`KFM_REQUIRE_S3=1 but ${why}`);
  console.warn(`\n*** the local S3 server could not start (${why}): S3 tests will skip. ***\n`);
}

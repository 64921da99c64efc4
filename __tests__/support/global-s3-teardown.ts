/** Jest globalTeardown: stop the local radosgw if this run's globalSetup started it (never one a developer left running). */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { S3_LOCAL, S3_STARTED_MARK } from './local-s3-script';

export default function stopLocalS3IfThisRunStartedIt(): void {
  if (!existsSync(S3_STARTED_MARK)) return;
  rmSync(S3_STARTED_MARK, { force: true });
  spawnSync('bash', [S3_LOCAL, 'stop'], { encoding: 'utf8', timeout: 120_000 });
}

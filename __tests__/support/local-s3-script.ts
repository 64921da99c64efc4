import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** scripts/s3-local.sh, and the mark a jest run leaves when its globalSetup started the server. */
export const S3_LOCAL = join(resolve(__dirname, '..', '..'), 'scripts', 's3-local.sh');
export const S3_STARTED_MARK = join(tmpdir(), 'kfm-jest-started-s3-local');

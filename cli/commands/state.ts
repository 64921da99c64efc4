/**
 * `kfm state lock-check --store s3://BUCKET/PREFIX [--endpoint URL] [--json]`: whether the
 * Terraform state store locks the way the S3 backend's `use_lockfile` needs (terraform/state-lock.ts):
 * a conditional write of a probe `.tflock` under the prefix, a second one that must be refused,
 * the probe removed. Exit 0 it locks; 1 it does not (a second writer was accepted); 4 the store
 * cannot be written (the line says why).
 */
import { probeStateLock } from '../../terraform/state-lock';
import { parseCommandArgs, pickVerb, requireOpt } from '../lib/args';
import { Command, CommandIo } from '../lib/types';

export const state: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('state', verb, { 'lock-check': lockCheck })(io, rest);
};

async function lockCheck(io: CommandIo, argv: readonly string[]): Promise<number> {
  const cmd = 'state lock-check';
  const { values } = parseCommandArgs(
    cmd,
    argv,
    {
      store: { type: 'string', required: true, arg: 's3://BUCKET/PREFIX', help: 'the state store (KFM_STATE_STORE)' },
      endpoint: { type: 'string', arg: 'URL', help: 'S3 endpoint', default: 'AWS_ENDPOINT_URL_S3, else AWS' },
      json: {
        type: 'boolean',
        help: 'print {store, probe, honoured, versioned, cleanup, detail}',
        default: 'one line',
      },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: "Check that the state store refuses a second conditional write (Terraform's S3-native lock).",
      example: 'state lock-check --store s3://kfm-tfstate/state',
    },
  );
  const env = io.env;
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : env.AWS_ENDPOINT_URL_S3;
  const r = await probeStateLock(requireOpt(cmd, values, 'store'), {
    endpoint,
    region: env.KFM_STATE_REGION || env.AWS_REGION || env.AWS_DEFAULT_REGION,
    encrypt: env.KFM_STATE_ENCRYPT !== '0',
    credentials:
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            sessionToken: env.AWS_SESSION_TOKEN,
          }
        : undefined,
  });
  if (values.json === true) io.stdout(JSON.stringify(r) + '\n');
  else
    io.stdout(
      `${r.detail}${r.cleanup === 'delete-marker' ? ' (the probe is hidden by a delete marker; its versions stay: no right to delete versions, or Object Lock)' : ''}\n`,
    );
  return r.honoured ? 0 : 1;
}

import { surveyWitnesses, WitnessSurvey } from '../../../ledger/witness/survey';
import { parseCommandArgs } from '../../lib/args';
import { loadTrustedKeys, many } from '../../lib/keys';
import { WITNESS_OPTS, witnessEndpoints, witnessPolicy, witnessTimeoutMs } from '../../lib/witnesses';
import { CommandIo } from '../../lib/types';
import { ReceiptError } from '../../../core/errors';
import { ORIGIN_OPT, originFrom, STORE_OPTS, storeFrom } from './options';

/**
 * `witnesses --store STORE --pub LOG_PUB... --witness NAME=PUB --witness-url NAME=URL ... [--json]`:
 * ask each witness the tree size it holds for this log and compare it with the ledger's newest
 * checkpoint (ledger/witness/survey.ts). One line per witness: its state, sizes, and what to do.
 * Exit 0 every witness holds the newest checkpoint (or, with none yet, answers); 1 one is
 * unreachable, refuses, or is behind; 3 one holds a larger or another tree (rollback or fork).
 */
export async function witnesses(io: CommandIo, argv: readonly string[]): Promise<number> {
  const cmd = 'audit witnesses';
  const { values } = parseCommandArgs(
    cmd,
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      ...WITNESS_OPTS,
      pub: {
        type: 'string',
        multiple: true,
        required: true,
        help: "the log's checkpoint key (keys/kfm-ci.pub): the newest checkpoint it signed is compared",
      },
      'witness-url': { type: 'string', multiple: true, arg: 'NAME=URL', help: 'where to ask each witness' },
      'witness-timeout': {
        type: 'string',
        arg: 'SECONDS',
        help: 'how long to wait for each witness (whole seconds, 1 to 999)',
        default: '10',
      },
      json: { type: 'boolean', help: 'print {entries, checkpoint, witnesses[]}', default: 'one line per witness' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: "Ask each witness the tree size it holds and compare it with the ledger's newest checkpoint.",
      example:
        'audit witnesses --store .kfm/audit --pub keys/kfm-ci.pub --witness w1=keys/witnesses/w1.pub --witness-url w1=http://127.0.0.1:7380',
    },
  );
  const policy = witnessPolicy(cmd, values);
  if (policy.witnesses.length === 0)
    throw new ReceiptError('USAGE', `kfm ${cmd}: at least one --witness NAME=PUB (with its --witness-url) is required`);
  const endpoints = witnessEndpoints(cmd, values, policy);
  const timeoutMs = witnessTimeoutMs(cmd, values);
  const logKeys = loadTrustedKeys(many(values.pub));
  const store = storeFrom(cmd, values, io);
  const survey = await surveyWitnesses(store, { endpoints, logKeys, origin: originFrom(values), timeoutMs });
  if (values.json === true) io.stdout(JSON.stringify(survey) + '\n');
  else io.stdout(lines(survey));
  if (survey.witnesses.some((w) => w.state === 'ahead' || w.state === 'forked')) return 3;
  return survey.witnesses.every((w) => w.state === 'current' || w.state === 'reachable') ? 0 : 1;
}

/** `NAME STATE: what it answered (ledger: …)[; fix: …]`, one per witness. */
function lines(s: WitnessSurvey): string {
  const ledger = s.checkpoint
    ? `ledger: ${s.entries} entries, newest checkpoint tree size ${s.checkpoint.size}`
    : `ledger: ${s.entries} entries, no checkpoint`;
  return s.witnesses
    .map((w) => `${w.witness} ${w.state}: ${w.answer} (${ledger})${w.fix ? `; fix: ${w.fix}` : ''}\n`)
    .join('');
}

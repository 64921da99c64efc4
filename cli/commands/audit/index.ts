/**
 * `kfm audit init|append|verify|checkpoint|prove|verify-proof|list|get|mirror|witnesses` — the audit ledger CLI, one
 * file per verb; each parses its arguments, calls the ledger and prints.
 * See docs/audit-ledger.md for layout, entry format and the verify algorithm.
 */
import { pickVerb } from '../../lib/args';
import { Command, CommandIo } from '../../lib/types';
import { append } from './append';
import { checkpoint } from './checkpoint';
import { get } from './get';
import { init } from './init';
import { list } from './list';
import { mirror } from './mirror';
import { prove } from './prove';
import { verify } from './verify';
import { verifyProof } from './verify-proof';
import { witnesses } from './witnesses';

const VERBS: Record<string, (io: CommandIo, argv: readonly string[]) => Promise<number>> = {
  init,
  append,
  verify,
  checkpoint,
  prove,
  'verify-proof': verifyProof,
  list,
  get,
  mirror,
  witnesses,
};

export const audit: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('audit', verb, VERBS)(io, rest);
};

import { pickVerb } from '../../lib/args';
import { Command, CommandIo } from '../../lib/types';
import { apply } from './apply';
import { comment } from './comment';
import { drift } from './drift';
import { plan } from './plan';
import { show } from './show';
import { verify } from './verify';

const VERBS: Record<string, (io: CommandIo) => number> = { plan, apply, drift, verify, show, comment };

/** `kfm receipt plan|apply|drift|verify|show|comment ...`, one file per verb; each loads what it needs when it runs (./lazy.ts). */
export const receipt: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('receipt', verb, VERBS)({ ...io, argv: rest });
};

import { pickVerb } from '../../lib/args';
import { Command } from '../../lib/types';
import { apply } from './apply';
import { evidence } from './evidence';
import { promote } from './promote';

/** `kfm gate promote|apply|evidence ...`, one file per verb. Exit 0 allowed, 1 denied, 2 bad input. */
export const gate: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('gate', verb, { promote, apply, evidence })({ ...io, argv: rest });
};

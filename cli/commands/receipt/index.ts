import { pickVerb } from '../../lib/args';
import { Command, CommandIo } from '../../lib/types';
import { apply } from './apply';
import { comment } from './comment';
import { drift } from './drift';
import { certify } from './certify';
import { exportBundle } from './export-bundle';
import { plan } from './plan';
import { show } from './show';
import { verify } from './verify';

const VERBS: Record<string, (io: CommandIo) => number | Promise<number>> = {
  plan,
  apply,
  drift,
  verify,
  show,
  'export-bundle': exportBundle,
  certify,
  comment,
};

/** `kfm receipt plan|apply|drift|verify|show|export-bundle|certify|comment ...`, one file per verb; each loads what it needs when it runs (./lazy.ts). */
export const receipt: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('receipt', verb, VERBS)({ ...io, argv: rest });
};

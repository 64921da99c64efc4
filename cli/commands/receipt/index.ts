import { pickVerb } from '../../lib/args';
import { Command, CommandIo } from '../../lib/types';

type Verb = (io: CommandIo) => number | Promise<number>;

/*
 * Each verb's module loads when that verb runs (as main.ts does for nouns): `kfm receipt plan`
 * on a 1,000-change plan is timed against a bare read + hash + parse, and loading the seven other
 * verbs cost it 10-25 ms of CPU before the plan was read.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const VERBS: Record<string, Verb> = {
  plan: (io) => (require('./plan') as typeof import('./plan')).plan(io),
  apply: (io) => (require('./apply') as typeof import('./apply')).apply(io),
  drift: (io) => (require('./drift') as typeof import('./drift')).drift(io),
  verify: (io) => (require('./verify') as typeof import('./verify')).verify(io),
  show: (io) => (require('./show') as typeof import('./show')).show(io),
  'export-bundle': (io) => (require('./export-bundle') as typeof import('./export-bundle')).exportBundle(io),
  certify: (io) => (require('./certify') as typeof import('./certify')).certify(io),
  comment: (io) => (require('./comment') as typeof import('./comment')).comment(io),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** `kfm receipt plan|apply|drift|verify|show|export-bundle|certify|comment ...`, one file per verb; each loads what it needs when it runs (./lazy.ts). */
export const receipt: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('receipt', verb, VERBS)({ ...io, argv: rest });
};

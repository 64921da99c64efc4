import { ReceiptError } from '../../core/errors';
import { checkWitnessName, checkWitnessSet, Witness } from '../../ledger/cosignature';
import { WitnessEndpoint } from '../../ledger/witness/client';
import { checkKeyRoles, loadTrustedKeys, many } from './keys';

/** The options every command that trusts witnesses takes. */
export const WITNESS_OPTS = {
  witness: { type: 'string', multiple: true, arg: 'NAME=PUB', help: 'trusted witness: its name and public key file' },
  quorum: {
    type: 'string',
    arg: 'N',
    help: 'valid witness cosignatures a checkpoint needs',
    default: 'every --witness given',
  },
} as const;

function nameValue(cmd: string, flag: string, spec: string, what: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new ReceiptError('USAGE', `kfm ${cmd}: --${flag} must be NAME=${what}`);
  const name = spec.slice(0, i);
  checkWitnessName(name, `kfm ${cmd}: --${flag}`);
  return [name, spec.slice(i + 1)];
}

export interface WitnessPolicy {
  readonly witnesses: readonly Witness[];
  /** 0 when no --witness was given (checkpoints are trusted on the log key alone, as before). */
  readonly quorum: number;
}

/** `--witness NAME=PUB` (repeatable) and `--quorum N` (default: every witness given). */
export function witnessPolicy(cmd: string, values: Record<string, unknown>): WitnessPolicy {
  const witnesses = many(values.witness).map((spec) => {
    const [name, pub] = nameValue(cmd, 'witness', spec, 'PUBLIC_KEY_FILE');
    return { name, key: loadTrustedKeys([pub])[0] };
  });
  checkWitnessSet(witnesses, `kfm ${cmd}`);
  checkKeyRoles(cmd, values);
  const q = values.quorum;
  if (q === undefined) return { witnesses, quorum: witnesses.length };
  if (witnesses.length === 0)
    throw new ReceiptError('USAGE', `kfm ${cmd}: --quorum needs at least one --witness NAME=PUB`);
  if (typeof q !== 'string' || !/^[1-9][0-9]{0,3}$/.test(q) || Number(q) > witnesses.length) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: --quorum must be a whole number from 1 to the ${witnesses.length} --witness key(s) given`,
    );
  }
  return { witnesses, quorum: Number(q) };
}

/** `--witness-url NAME=URL` by witness name, each naming a configured witness (some may have none). */
export function witnessUrls(cmd: string, values: Record<string, unknown>, policy: WitnessPolicy): Map<string, string> {
  const urls = new Map<string, string>();
  for (const spec of many(values['witness-url'])) {
    const [name, url] = nameValue(cmd, 'witness-url', spec, 'URL');
    if (!policy.witnesses.some((w) => w.name === name))
      throw new ReceiptError('USAGE', `kfm ${cmd}: --witness-url "${name}" has no --witness ${name}=PUB`);
    if (!/^https?:\/\/[^\s]+$/.test(url))
      throw new ReceiptError('USAGE', `kfm ${cmd}: --witness-url ${name}=... is not an http(s) URL`);
    if (urls.has(name)) throw new ReceiptError('USAGE', `kfm ${cmd}: --witness-url "${name}" is given twice`);
    urls.set(name, url);
  }
  return urls;
}

/** `--witness-url NAME=URL` for every configured witness. */
export function witnessEndpoints(
  cmd: string,
  values: Record<string, unknown>,
  policy: WitnessPolicy,
): WitnessEndpoint[] {
  const urls = witnessUrls(cmd, values, policy);
  return policy.witnesses.map((w) => {
    const url = urls.get(w.name);
    if (!url) throw new ReceiptError('USAGE', `kfm ${cmd}: witness "${w.name}" needs --witness-url ${w.name}=URL`);
    return { witness: w, url };
  });
}

/** `--witness-timeout SECONDS` (whole seconds, 1 to 999; default 10), in ms. */
export function witnessTimeoutMs(cmd: string, values: Record<string, unknown>): number {
  const t = values['witness-timeout'];
  if (t === undefined) return 10_000;
  if (typeof t !== 'string' || !/^[1-9][0-9]{0,2}$/.test(t))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --witness-timeout must be whole seconds from 1 to 999`);
  return Number(t) * 1000;
}

import { join } from 'node:path';
import { ReceiptError } from './errors';
import { fileExists, parseJsonText, readInputFile } from './files';
import { isObject } from './json';

/**
 * Who installed this project: the name prefix of its resources and the GitHub repository whose
 * workflows its roles trust. The one reading of the `kfm:namePrefix` and `kfm:repository`
 * context keys (cdktf.json "context"), shared by the stacks (stacks/aws.ts reads the App's
 * context) and the policy pack (its declared facts name these buckets and this repository).
 */
export interface Installation {
  /** `kfm:namePrefix`: globally unique name prefix of every resource. */
  readonly namePrefix: string;
  /** `kfm:repository` (`kfm:ciRepository`, its older name, when unset): owner/name on GitHub. */
  readonly repository: string;
}

/** The name prefix when `kfm:namePrefix` is not set. */
export const DEFAULT_NAME_PREFIX = 'kfm';
/** The repository when neither `kfm:repository` nor `kfm:ciRepository` is set. */
export const DEFAULT_REPOSITORY = 'kansas-frontier-matrix/kfm-infra';

export const DEFAULT_INSTALLATION: Installation = {
  namePrefix: DEFAULT_NAME_PREFIX,
  repository: DEFAULT_REPOSITORY,
};

/**
 * The installation a context describes (`context(key)` is the App's context or cdktf.json's).
 * The prefix is taken as given (the stacks check it against S3's bucket name rules); the
 * repository is trimmed and an empty one counts as unset.
 */
export function installationFrom(context: (key: string) => unknown): Installation {
  const prefix = context('kfm:namePrefix');
  const repo = (k: string) => {
    const v = context(k);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  return {
    namePrefix: prefix === undefined || prefix === null ? DEFAULT_NAME_PREFIX : String(prefix),
    repository: repo('kfm:repository') ?? repo('kfm:ciRepository') ?? DEFAULT_REPOSITORY,
  };
}

const KEYS = ['kfm:namePrefix', 'kfm:repository', 'kfm:ciRepository'];

/**
 * The installation `dir/cdktf.json` configures: the defaults when there is no cdktf.json (a
 * check run outside a project), one line naming the file and field when it cannot be read.
 */
export function readInstallation(dir: string): Installation {
  const file = join(dir, 'cdktf.json');
  if (!fileExists(file)) return DEFAULT_INSTALLATION;
  const doc = parseJsonText(readInputFile(file, 'cdktf configuration').toString('utf8'), file, 'cdktf.json');
  const context = isObject(doc) ? (doc.context ?? {}) : undefined;
  if (!isObject(context)) {
    throw new ReceiptError('INPUT_INVALID', `${file}: context is not an object; fix cdktf.json ("context": {...})`);
  }
  for (const k of KEYS) {
    if (context[k] !== undefined && typeof context[k] !== 'string') {
      throw new ReceiptError('INPUT_INVALID', `${file}: context.${k} is not a string; set it to a string or remove it`);
    }
  }
  return installationFrom((k) => context[k]);
}

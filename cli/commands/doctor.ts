/**
 * `kfm doctor`: the setup check, scripts/doctor.sh (one line per item: ok, MISSING with its fix,
 * skipped with why), run from the repository this kfm was built in, with this process's
 * environment. The check itself lives in the script (it asks Terraform, jq, the gh CLI and kfm's
 * own verbs); this is the name the issue and the docs may use for it. Exit: the script's (0
 * nothing missing, 1 something missing); 2 when the script is not there (kfm outside its repository).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ReceiptError } from '../../core/errors';
import { parseCommandArgs } from '../lib/args';
import { Command } from '../lib/types';

/** scripts/doctor.sh of the repository holding this file (dist/cli/commands/ or cli/commands/). */
function doctorScript(): string | undefined {
  for (let dir = __dirname, i = 0; i < 4; dir = dirname(dir), i++) {
    const p = join(dir, 'scripts', 'doctor.sh');
    if (existsSync(p)) return p;
  }
  return undefined;
}

export const doctor: Command = async (io) => {
  parseCommandArgs(
    'doctor',
    io.argv,
    {},
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'The setup check (scripts/doctor.sh): each missing item with its fix, what it skipped and why.',
      example: 'doctor',
    },
  );
  const script = doctorScript();
  if (script === undefined)
    throw new ReceiptError(
      'USAGE',
      'kfm doctor: scripts/doctor.sh not found beside this kfm; run it from a kfm-infra checkout',
    );
  const r = spawnSync('bash', [script], { env: io.env, cwd: io.cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.stdout) io.stdout(r.stdout);
  if (r.stderr) io.stderr(r.stderr);
  return r.status ?? 1;
};

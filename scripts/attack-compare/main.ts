/**
 * Issue 24's attacks, each with only the attacker's access, against an old checkout's CLI and
 * this one's, on a directory store (and, with --s3, attacks 1–3, 6a and 6b on the local radosgw
 * too); prints one row per attack and CLI: the steps' exit codes, the line that shows the
 * outcome, and whether the secure outcome held. Not part of npm test.
 *
 *   npx tsx scripts/attack-compare/main.ts --old OLD_CHECKOUT [--s3] [--only 1,2a,...] [--markdown]
 *
 * OLD_CHECKOUT must be built (dist/receipts/cli.js). Evidence is signed with this checkout's
 * library (the record formats are stable); appends, checkpoints and witnesses are each CLI's own.
 * With --s3, start the local radosgw first (scripts/s3-local.sh start) and export its variables.
 * Exit 0 when every attack holds on this checkout, 1 when one does not, 2 on a usage error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fsStore, RawStore, s3Store } from '../../__tests__/gates/support/stores';
import { S3_LOCAL } from '../../__tests__/support/local-s3-script';
import {
  evidenceRolledBack,
  logKeyWitness,
  oneKeyTwoLogins,
  resignedCopyFirst,
  staleWitnessedAnchor,
} from './gate-attacks';
import { LEDGER_ATTACKS } from './ledger-attacks';
import { Attack, Keys, Outcome, Side, side, writeKeys } from './lib';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const GATE_ATTACKS: Attack[] = [
  {
    id: '1',
    title: 'witnessed gate: stale witnessed note copied to sort last; newest deleted',
    s3: true,
    run: staleWitnessedAnchor,
  },
  {
    id: '2a',
    title: 'one approver key under two logins (author approves her own change)',
    s3: true,
    run: oneKeyTwoLogins,
  },
  {
    id: '2b',
    title: 'log key as a witness (kfm witness serve with the log key; gate --witness)',
    s3: true,
    run: logKeyWitness,
  },
  {
    id: '3',
    title: "approver's re-signed copy of a failing CI record appended first",
    s3: true,
    run: resignedCopyFirst,
  },
  {
    id: '7b',
    title: '`kfm gate evidence` with witnesses: newest witnessed note deleted after a newer apply',
    s3: false,
    run: evidenceRolledBack,
  },
];

interface Options {
  readonly old: string;
  readonly s3: boolean;
  readonly only?: Set<string>;
  readonly markdown: boolean;
}

const USAGE = 'usage: npx tsx scripts/attack-compare/main.ts --old OLD_CHECKOUT [--s3] [--only 1,2a,...] [--markdown]';

function parseArgs(argv: string[]): Options {
  let old: string | undefined;
  let s3 = false;
  let only: Set<string> | undefined;
  let markdown = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(`${USAGE}\n\nattacks:`);
      for (const x of [...GATE_ATTACKS, ...LEDGER_ATTACKS])
        console.log(`  ${x.id.padEnd(4)} ${x.title}${x.s3 ? ' (also S3 with --s3)' : ''}`);
      process.exit(0);
    } else if (a === '--old') old = argv[++i];
    else if (a === '--s3') s3 = true;
    else if (a === '--markdown') markdown = true;
    else if (a === '--only') only = new Set((argv[++i] ?? '').split(','));
    else {
      console.error(`attack-compare: unknown argument "${a}"\n${USAGE}`);
      process.exit(2);
    }
  }
  if (old === undefined) {
    console.error(`attack-compare: --old OLD_CHECKOUT is required\n${USAGE}`);
    process.exit(2);
  }
  return { old: resolve(old), s3, only, markdown };
}

interface Row {
  readonly attack: Attack;
  readonly store: string;
  readonly old: Outcome;
  readonly now: Outcome;
}

async function runOne(a: Attack, s: Side, raw: RawStore, k: Keys, work: string): Promise<Outcome> {
  const dir = join(work, `${a.id}-${raw.kind}-${s.label}`);
  try {
    return await a.run(s, raw, k, dir);
  } catch (e) {
    return {
      codes: 'error',
      line: `(the comparison could not run: ${(e as Error).message.split('\n')[0]})`,
      holds: false,
    };
  }
}

function print(rows: readonly Row[], markdown: boolean): void {
  const mark = (o: Outcome) => (o.holds ? 'holds' : 'HOLE');
  if (markdown) {
    console.log('| # | attack | store | 3c7b61c (old) | now |');
    console.log('|---|---|---|---|---|');
    const cell = (o: Outcome) => `**${mark(o)}** ${o.codes}<br>\`${o.line.replace(/\|/g, '\\|').replace(/`/g, "'")}\``;
    for (const r of rows)
      console.log(`| ${r.attack.id} | ${r.attack.title} | ${r.store} | ${cell(r.old)} | ${cell(r.now)} |`);
    return;
  }
  for (const r of rows) {
    console.log(`${r.attack.id} ${r.attack.title} [${r.store}]`);
    console.log(`  old: ${mark(r.old)} ${r.old.codes}\n       ${r.old.line}`);
    console.log(`  now: ${mark(r.now)} ${r.now.codes}\n       ${r.now.line}`);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const sides = { old: side('old', o.old), now: side('new', resolve(__dirname, '..', '..')) };
  const stores: RawStore[] = [fsStore];
  // The radosgw the caller runs (its RGW_PORT / KFM_S3_DIR), or one started here and stopped at
  // the end: asked before TMPDIR moves, so the default state dir is the usual one.
  const s3Env = { ...process.env };
  const s3WasUp = o.s3 && spawnSync('bash', [S3_LOCAL, 'status'], { env: s3Env }).status === 0;
  if (o.s3) {
    const s3 = s3Store();
    if (typeof s3 === 'string') throw new Error(`--s3: ${s3}`);
    stores.push(s3);
  }
  const work = mkdtempSync(join(tmpdir(), 'kfm-attack-compare-'));
  // Directory stores (fsStore.newSpec: a temp dir each) land in `work`, removed at the end.
  process.env.TMPDIR = work;
  const keys = { old: writeKeys(join(work, 'keys-old'), sides.old), now: writeKeys(join(work, 'keys-new'), sides.now) };
  const rows: Row[] = [];
  try {
    for (const a of [...GATE_ATTACKS, ...LEDGER_ATTACKS]) {
      if (o.only && !o.only.has(a.id)) continue;
      for (const raw of stores) {
        if (raw.kind === 'S3' && !a.s3) continue;
        const old = await runOne(a, sides.old, raw, keys.old, work);
        const now = await runOne(a, sides.now, raw, keys.now, work);
        rows.push({ attack: a, store: a.store ?? raw.kind, old, now });
        if (!o.markdown) print([rows[rows.length - 1]!], false);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (o.s3 && !s3WasUp) spawnSync('bash', [S3_LOCAL, 'stop'], { env: s3Env, stdio: 'inherit' });
  }
  if (o.markdown) print(rows, true);
  process.exitCode = rows.every((r) => r.now.holds) ? 0 : 1;
}

main().catch((e: Error) => {
  console.error(`attack-compare: ${e.message}`);
  process.exit(2);
});

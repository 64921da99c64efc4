import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * A command parses, calls one library function and prints: what two commands need lives in the
 * library (gates/, receipts/, ledger/, ...) or cli/lib/, never in another command. A noun with
 * several verbs is a folder (cli/commands/<noun>/), whose verb files may share files of that folder.
 */
const COMMANDS = resolve(__dirname, '..', '..', 'cli', 'commands');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** The command a file under cli/commands/ belongs to: `gate` for gate/promote.ts and gate.ts. */
const nounOf = (abs: string): string => relative(COMMANDS, abs).split(sep)[0]!.replace(/\.ts$/, '');

describe('commands', () => {
  it('never import another command', () => {
    const wrong = sources(COMMANDS).flatMap((file) =>
      [
        ...readFileSync(file, 'utf8').matchAll(
          /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g,
        ),
      ]
        .map((m) => resolve(dirname(file), m[1]!))
        .filter((to) => !relative(COMMANDS, to).startsWith('..') && nounOf(to) !== nounOf(file))
        .map((to) => `${relative(COMMANDS, file)} imports ${relative(COMMANDS, to)}`),
    );
    expect(wrong).toEqual([]);
  });
});

/**
 * k8s-schemas.ts — checks synthesized Kubernetes stacks against the Kubernetes OpenAPI schemas and
 * the Kubernetes rules (policy/kubernetes/). Reads `{"<stack>": <cdk.tf.json>, ...}` on stdin, or,
 * with `--synth-dir DIR`, every `DIR/stacks/k8s-*\/cdk.tf.json` (cdktf.out after `cdktf synth`).
 * Prints one line per problem and exits 1 when there is any; `--json` prints the check as JSON.
 * A script, not jest: the schema package is ESM only (see policy/kubernetes/objects/schema.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkKubernetesStacks } from '../policy/kubernetes/check';

type Json = Record<string, unknown>;

function fromSynthDir(dir: string): Record<string, Json> {
  const stacksDir = join(dir, 'stacks');
  const out: Record<string, Json> = {};
  for (const name of readdirSync(stacksDir)
    .filter((n) => n.startsWith('k8s-'))
    .sort()) {
    const file = join(stacksDir, name, 'cdk.tf.json');
    if (existsSync(file)) out[name] = JSON.parse(readFileSync(file, 'utf8')) as Json;
  }
  return out;
}

async function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('--synth-dir');
  const stacks =
    at >= 0 ? fromSynthDir(argv[at + 1] ?? 'cdktf.out') : (JSON.parse(readFileSync(0, 'utf8')) as Record<string, Json>);
  if (Object.keys(stacks).length === 0) {
    process.stderr.write('k8s-schemas: no Kubernetes stack to check\n');
    return 2;
  }
  const check = await checkKubernetesStacks(stacks);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(check)}\n`);
  else {
    for (const line of check.problems) process.stdout.write(`${line}\n`);
    const counts = Object.entries(check.objects)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    process.stdout.write(
      `k8s-schemas: ${check.problems.length === 0 ? 'ok' : `${check.problems.length} problem(s)`} (${counts} objects)\n`,
    );
  }
  return check.problems.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`k8s-schemas: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);

import { bad, defineRule, ok, Outcome } from '../engine/rule';

/** CLIs that change cloud or cluster resources, and their read-only verbs. */
const CLIS = /(^|[\s;&|(`$])(aws|kubectl|eksctl|helm|terraform|gcloud|az|sam|cdk|cdktf|pulumi)\s+([^\n;&|]*)/g;
const READ_ONLY =
  /^(--version|version|help|--help|sts\s+get-caller-identity|configure\s+get|\S+\s+(describe|list|get|ls|wait)[-\w]*|(get|describe|version|config\s+view)\b|show\b|plan\b|validate\b|fmt\b)/;
/** HTTP calls that write. */
const HTTP_WRITE = /\bcurl\b[^\n]*(-X\s*(PUT|POST|DELETE|PATCH)|--request\s+(PUT|POST|DELETE|PATCH)|\s-d\s|--data)/i;

/** Why a command may change cloud resources at apply time, or undefined. */
export function cloudChange(command: string): string | undefined {
  for (const m of command.matchAll(CLIS)) {
    const args = m[3].trim();
    if (!READ_ONLY.test(args)) return `runs "${m[2]}" with a command that is not read-only`;
  }
  return HTTP_WRITE.test(command) ? 'sends a writing HTTP request' : undefined;
}

/**
 * A command that Terraform runs at apply time (a provisioner of `terraform_data`, `null_resource` or
 * any resource) is outside the plan: it must not change cloud resources, and an unreadable command
 * cannot be trusted.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No provisioner (local-exec / remote-exec, on terraform_data, null_resource or any resource) runs a command that changes cloud resources at apply time, and every provisioner command is a literal the pack can read.',
  remediation:
    'Manage the change as a resource of this configuration (or in a reviewed workflow step); keep provisioner commands literal and read-only.',
  covers: ['terraform_data', 'null_resource'],
  checkov: [],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed') continue;
      const problems: string[] = [];
      for (const p of r.provisioners ?? []) {
        if (p.type === 'file') continue;
        if (p.unknown)
          problems.push(`a ${p.type} provisioner's command is not a literal, so what it runs at apply cannot be read`);
        const why = p.command === undefined ? undefined : cloudChange(p.command);
        if (why) problems.push(`a ${p.type} provisioner ${why}: it changes resources outside the plan`);
      }
      if (problems.length) out.push(bad(r.address, problems.join('; ')));
      else if (['terraform_data', 'null_resource'].includes(r.type)) out.push(ok(r.address));
    }
    return out;
  },
});

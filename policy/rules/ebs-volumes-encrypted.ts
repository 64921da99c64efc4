import {
  asBool,
  bad,
  configuredLeaves,
  defineRule,
  knownValues,
  ok,
  Outcome,
  RuleContext,
  scalar,
  scalarProblem,
} from '../engine/rule';
import { ResourceView } from '../engine/view';

/**
 * Account-level default EBS encryption counts only when THIS configuration enables it
 * (`aws_ebs_encryption_by_default { enabled = true }` on the same provider): a setting made
 * elsewhere cannot be seen in a plan, so it needs a suppression naming it.
 */
function defaultEncryption(ctx: RuleContext, r: ResourceView): boolean {
  return ctx.ofType('aws_ebs_encryption_by_default').some((d) => {
    const s = scalar(d, 'enabled');
    return d.providerKey === r.providerKey && (s.kind === 'absent' || (s.kind === 'value' && asBool(s.value) === true));
  });
}

/** A problem with `encrypted` at `path` (every leaf), or undefined. Absent counts when default encryption is on. */
function encryptedProblem(
  r: ResourceView,
  path: string,
  byDefault: boolean,
  absentIsProblem: boolean,
): string | undefined {
  const vals = knownValues(r, path);
  if (vals === 'unknown') return `${path} is unknown at this stage`;
  if (vals.some((v) => asBool(v) === false)) return `${path} is false`;
  if (vals.length === 0 && absentIsProblem && !byDefault) return `${path} is not set (defaults to false)`;
  if (vals.some((v) => asBool(v) !== true)) return `${path} is not true`;
  return undefined;
}

/** A launch template's disks: every EBS mapping encrypted, and at least one mapping (else the AMI decides). */
function templateProblems(lt: ResourceView, byDefault: boolean): string[] {
  const mappings = configuredLeaves(lt, 'block_device_mappings');
  if (mappings.some((m) => m.unknown)) return ['block_device_mappings is unknown at this stage'];
  if (mappings.length === 0 && !byDefault)
    return ['no block_device_mappings: the AMI decides whether the disks are encrypted'];
  const p = encryptedProblem(lt, 'block_device_mappings.ebs.encrypted', byDefault, false);
  if (p) return [p];
  const withEbs = configuredLeaves(lt, 'block_device_mappings.ebs').length;
  const encrypted = configuredLeaves(lt, 'block_device_mappings.ebs.encrypted').length;
  if (encrypted < withEbs && !byDefault) return ['a block_device_mappings.ebs block does not set encrypted = "true"'];
  return [];
}

/** Encryption at rest for block storage: volumes, instance and spot disks, launch templates and configurations. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every EBS volume, instance / spot request / launch configuration disk and launch template EBS mapping is encrypted (explicitly, from an encrypted launch template, or by default encryption enabled in this configuration).',
  remediation:
    'Set encrypted = true on volumes and root/ebs block devices, block_device_mappings.ebs.encrypted = "true" in launch templates, or enable aws_ebs_encryption_by_default in this configuration.',
  covers: [
    'aws_ebs_volume',
    'aws_instance',
    'aws_launch_template',
    'aws_launch_configuration',
    'aws_spot_instance_request',
    'aws_ebs_encryption_by_default',
    'aws_volume_attachment',
  ],
  checkov: ['CKV_AWS_3', 'CKV_AWS_8'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    const judge = (r: ResourceView, problems: Array<string | undefined>): void => {
      const p = problems.filter((x): x is string => !!x);
      out.push(p.length ? bad(r.address, p.join('; ')) : ok(r.address));
    };
    for (const v of ctx.ofType('aws_ebs_volume'))
      judge(v, [encryptedProblem(v, 'encrypted', defaultEncryption(ctx, v), true)]);
    for (const d of ctx.ofType('aws_ebs_encryption_by_default'))
      judge(d, [scalarProblem(d, 'enabled', (v) => (asBool(v) === false ? 'enabled is false' : undefined))]);
    for (const lt of ctx.ofType('aws_launch_template')) judge(lt, templateProblems(lt, defaultEncryption(ctx, lt)));
    for (const i of ctx.ofType('aws_instance', 'aws_spot_instance_request', 'aws_launch_configuration')) {
      const byDefault = defaultEncryption(ctx, i);
      const templates =
        i.type === 'aws_launch_configuration' ? [] : ctx.referenced(i, 'launch_template', ['aws_launch_template']);
      const rootSet = configuredLeaves(i, 'root_block_device.encrypted').length > 0;
      let root: string | undefined;
      if (!rootSet && templates.length === 1) {
        // Disks come from the launch template: it decides (and is judged itself).
        const t = templateProblems(templates[0], byDefault);
        root = t.length ? `root disk from ${templates[0].address}: ${t.join('; ')}` : undefined;
      } else root = encryptedProblem(i, 'root_block_device.encrypted', byDefault, true);
      judge(i, [root, encryptedProblem(i, 'ebs_block_device.encrypted', byDefault, false)]);
    }
    return out;
  },
});

import { asBool, bad, configuredLeaves, defineRule, knownValues, ok, Outcome, requireBool } from '../engine/rule';
import { ResourceView } from '../engine/view';

function allEncrypted(r: ResourceView, path: string): string | undefined {
  const vals = knownValues(r, path);
  if (vals === 'unknown') return `${path} is unknown at this stage`;
  if (vals.some((v) => asBool(v) !== true)) return `${path} is not true`;
  return undefined;
}

/** Encryption at rest for block storage: volumes, instance disks and launch template disks. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every EBS volume, instance block device and launch template EBS mapping is encrypted.',
  remediation:
    'Set encrypted = true on aws_ebs_volume, root_block_device/ebs_block_device of aws_instance, and block_device_mappings.ebs.encrypted = "true" in aws_launch_template.',
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const v of ctx.ofType('aws_ebs_volume'))
      out.push(requireBool(v, 'encrypted', true, false, 'encryption at rest'));
    for (const i of ctx.ofType('aws_instance')) {
      const root = requireBool(i, 'root_block_device.encrypted', true, false, 'encryption at rest');
      const extra = allEncrypted(i, 'ebs_block_device.encrypted');
      const problems = [root.compliant ? undefined : root.message, extra].filter((m): m is string => !!m);
      out.push(problems.length ? bad(i.address, problems.join('; ')) : ok(i.address));
    }
    for (const lt of ctx.ofType('aws_launch_template')) {
      const mappings = configuredLeaves(lt, 'block_device_mappings');
      if (mappings.some((m) => m.unknown)) {
        out.push(bad(lt.address, 'block_device_mappings is unknown at this stage'));
        continue;
      }
      const problem = allEncrypted(lt, 'block_device_mappings.ebs.encrypted');
      const withEbs = configuredLeaves(lt, 'block_device_mappings.ebs').length;
      const encrypted = configuredLeaves(lt, 'block_device_mappings.ebs.encrypted').length;
      if (problem) out.push(bad(lt.address, problem));
      else if (encrypted < withEbs)
        out.push(bad(lt.address, 'a block_device_mappings.ebs block does not set encrypted = "true"'));
      else out.push(ok(lt.address));
    }
    return out;
  },
});

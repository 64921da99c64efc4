import { asBool, defineRule, judged, knownValues, Outcome, scalar, scalarProblem } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** A flag that asks for a public address: a problem when true or unknown. */
const publicWhenTrue = (r: ResourceView, attr: string): string | undefined =>
  scalarProblem(r, attr, (v) => (asBool(v) === true ? `${attr} is true` : undefined));

/** Trust membrane: no instance gets a public address (instances, spot requests, templates, launch configurations, subnets). */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No instance, spot request, launch template or launch configuration asks for a public IP, and no subnet maps public IPs on launch.',
  remediation:
    'Set associate_public_ip_address = false (instances: explicitly, or launch into a subnet of this configuration that does not map public IPs) and map_public_ip_on_launch = false.',
  covers: [
    'aws_instance',
    'aws_spot_instance_request',
    'aws_launch_template',
    'aws_launch_configuration',
    'aws_subnet',
    'aws_network_interface',
  ],
  checkov: ['CKV_AWS_88', 'CKV_AWS_130', 'CKV_AWS_389'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const s of ctx.ofType('aws_subnet'))
      out.push(judged(s.address, [publicWhenTrue(s, 'map_public_ip_on_launch')]));
    for (const i of ctx.ofType('aws_instance', 'aws_spot_instance_request')) {
      const a = scalar(i, 'associate_public_ip_address');
      if (a.kind === 'unknown') out.push(judged(i.address, ['associate_public_ip_address is unknown at this stage']));
      else if (a.kind === 'value')
        out.push(judged(i.address, [asBool(a.value) === true ? 'associate_public_ip_address is true' : undefined]));
      else {
        // Not set: the subnet's map_public_ip_on_launch (or the launch template's interface) decides.
        const subnets = ctx.referenced(i, 'subnet_id', ['aws_subnet']);
        const templates = ctx.referenced(i, 'launch_template', ['aws_launch_template']);
        if (subnets.length === 1) {
          const m = scalar(subnets[0], 'map_public_ip_on_launch');
          out.push(
            judged(i.address, [
              m.kind === 'value' && asBool(m.value) === false
                ? undefined
                : m.kind === 'absent'
                  ? undefined
                  : `its subnet ${subnets[0].address} may map a public IP`,
            ]),
          );
        } else if (
          templates.length === 1 &&
          knownValues(templates[0], 'network_interfaces.associate_public_ip_address') !== 'unknown' &&
          (knownValues(templates[0], 'network_interfaces.associate_public_ip_address') as unknown[]).some(
            (v) => asBool(v) === false,
          )
        ) {
          out.push(judged(i.address, []));
        } else {
          out.push(
            judged(i.address, [
              'associate_public_ip_address is not set and the subnet is not in this configuration (default VPC subnets map public IPs)',
            ]),
          );
        }
      }
    }
    for (const lt of ctx.ofType('aws_launch_template')) {
      const v = knownValues(lt, 'network_interfaces.associate_public_ip_address');
      out.push(
        judged(lt.address, [
          v === 'unknown'
            ? 'network_interfaces.associate_public_ip_address is unknown at this stage'
            : v.some((x) => asBool(x) === true)
              ? 'network_interfaces.associate_public_ip_address is true'
              : undefined,
        ]),
      );
    }
    for (const lc of ctx.ofType('aws_launch_configuration'))
      out.push(judged(lc.address, [publicWhenTrue(lc, 'associate_public_ip_address')]));
    return out;
  },
});

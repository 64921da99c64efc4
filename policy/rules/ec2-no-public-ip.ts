import { asBool, defineRule, judged, knownValues, Outcome, RuleContext, scalar, scalarProblem } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** A flag that asks for a public address: a problem when true or unknown. */
const publicWhenTrue = (r: ResourceView, attr: string): string | undefined =>
  scalarProblem(r, attr, (v) => (asBool(v) === true ? `${attr} is true` : undefined));

/**
 * IPv6 addresses are globally routable: any address, prefix or primary IPv6 an interface asks for is
 * public. Count-like settings fail above 0, flags when true, lists when non-empty; unknown fails.
 */
const IPV6_SETTINGS = [
  'ipv6_address_count',
  'ipv6_addresses',
  'ipv6_address_list',
  'ipv6_address_list_enabled',
  'ipv6_prefix_count',
  'ipv6_prefixes',
  'enable_primary_ipv6',
  'primary_ipv6',
  'assign_ipv6_address_on_creation',
  'ipv6_native',
];

export function ipv6Problems(r: ResourceView, prefix = ''): string[] {
  const out: string[] = [];
  for (const attr of IPV6_SETTINGS) {
    const path = prefix + attr;
    const v = knownValues(r, path);
    if (v === 'unknown') out.push(`${path} is unknown at this stage`);
    else if (
      v.some(
        (x) =>
          asBool(x) === true ||
          (typeof x === 'number' && x > 0) ||
          (typeof x === 'string' && x !== '' && asBool(x) === undefined),
      )
    )
      out.push(`${path} gives a globally routable IPv6 address`);
  }
  return out;
}

/** Trust membrane: no instance gets a public address (instances, spot requests, templates, launch configurations, subnets). */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No instance, spot request, launch template, launch configuration, network interface or auto scaling group asks for a public IPv4 or any IPv6 address (globally routable) or lands in the default VPC, and no subnet maps public IPv4 or IPv6 addresses on launch.',
  remediation:
    'Set associate_public_ip_address = false (instances: explicitly, or launch into a subnet of this configuration that does not map public IPs) and map_public_ip_on_launch = false.',
  covers: [
    'aws_instance',
    'aws_spot_instance_request',
    'aws_launch_template',
    'aws_launch_configuration',
    'aws_subnet',
    'aws_network_interface',
    'aws_autoscaling_group',
  ],
  checkov: ['CKV_AWS_88', 'CKV_AWS_130', 'CKV_AWS_389'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const s of ctx.ofType('aws_subnet'))
      out.push(judged(s.address, [publicWhenTrue(s, 'map_public_ip_on_launch'), ...ipv6Problems(s)]));
    for (const n of ctx.ofType('aws_network_interface')) out.push(judged(n.address, ipv6Problems(n)));
    for (const g of ctx.ofType('aws_autoscaling_group')) out.push(judged(g.address, [defaultVpcProblem(ctx, g)]));
    for (const i of ctx.ofType('aws_instance', 'aws_spot_instance_request')) {
      out.push(judged(i.address, ipv6Problems(i)));
      const a = scalar(i, 'associate_public_ip_address');
      if (a.kind === 'unknown') out.push(judged(i.address, ['associate_public_ip_address is unknown at this stage']));
      else if (a.kind === 'value')
        out.push(judged(i.address, [asBool(a.value) === true ? 'associate_public_ip_address is true' : undefined]));
      else if (i.leaves('network_interface.network_interface_id').length > 0) {
        // Launched on existing interfaces of this configuration: AWS assigns no public IPv4 to them
        // (an EIP would be judged by eip-only-for-nat-gateways); their IPv6 is judged on the interface.
        out.push(judged(i.address, []));
      } else {
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
          ...ipv6Problems(lt, 'network_interfaces.'),
        ]),
      );
    }
    for (const lc of ctx.ofType('aws_launch_configuration'))
      out.push(judged(lc.address, [publicWhenTrue(lc, 'associate_public_ip_address')]));
    return out;
  },
});

/** A group without vpc_zone_identifier launches into the default VPC, whose subnets map public IPs. */
function defaultVpcProblem(ctx: RuleContext, g: ResourceView): string | undefined {
  const subnets = scalar(g, 'vpc_zone_identifier');
  if (subnets.kind !== 'absent') return undefined;
  const templates = ctx.referenced(g, 'launch_template', ['aws_launch_template']);
  const v =
    templates.length === 1 ? knownValues(templates[0], 'network_interfaces.associate_public_ip_address') : 'unknown';
  if (v !== 'unknown' && v.length > 0 && v.every((x) => asBool(x) === false)) return undefined;
  return 'vpc_zone_identifier is not set: the group launches into the default VPC, whose subnets map public IPs';
}

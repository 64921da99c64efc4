import { defineRule, judged, Outcome } from '../engine/rule';

/** Trust membrane: an Elastic IP is a public address; only NAT gateways (egress) may hold one. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every Elastic IP is the allocation of a NAT gateway of this configuration; none is attached to an instance or interface.',
  remediation:
    'Remove the EIP (or its aws_eip_association) from instances and interfaces; reach them through the governed load balancer.',
  covers: ['aws_eip', 'aws_eip_association', 'aws_nat_gateway'],
  checkov: [],
  evaluate(ctx) {
    const out: Outcome[] = [];
    const natEips = new Set<string>();
    for (const n of ctx.ofType('aws_nat_gateway')) {
      const l = ctx.link(n, 'allocation_id', ['aws_eip'], ['id', 'allocation_id']);
      if (l.kind === 'target') natEips.add(l.target.address);
    }
    for (const e of ctx.ofType('aws_eip')) {
      const attached = ['instance', 'network_interface'].filter((a) => e.isConfigured(a) && e.leaves(a).length > 0);
      out.push(
        judged(e.address, [
          attached.length ? `attached to ${attached.join(' and ')}: a public address on a workload` : undefined,
          !natEips.has(e.address) && attached.length === 0
            ? 'not the allocation of a NAT gateway of this configuration'
            : undefined,
        ]),
      );
    }
    for (const a of ctx.ofType('aws_eip_association'))
      out.push(judged(a.address, ['associates a public Elastic IP with an instance or interface']));
    return out;
  },
});

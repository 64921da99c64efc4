import { publicReach } from '../engine/cidr';
import { asBool, defineRule, judged, knownValues, scalar } from '../engine/rule';

/** Trust membrane: the Kubernetes API of an EKS cluster is not reachable from the internet. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every EKS cluster has endpoint_public_access = false (and, were it public, no public_access_cidrs reaching internet-routable addresses).',
  remediation:
    'Set vpc_config.endpoint_public_access = false and endpoint_private_access = true; reach the API through the VPC.',
  covers: ['aws_eks_cluster', 'aws_eks_addon', 'aws_eks_access_entry'],
  checkov: ['CKV_AWS_39', 'CKV_AWS_38'],
  evaluate(ctx) {
    return ctx.ofType('aws_eks_cluster').map((c) => {
      const p = scalar(c, 'vpc_config.endpoint_public_access');
      const problems: Array<string | undefined> = [];
      if (p.kind === 'unknown') problems.push('vpc_config.endpoint_public_access is unknown at this stage');
      else if (p.kind === 'absent' || asBool(p.value) !== false) {
        problems.push(
          `vpc_config.endpoint_public_access is ${p.kind === 'absent' ? 'not set (defaults to true)' : 'true'}`,
        );
        const cidrs = knownValues(c, 'vpc_config.public_access_cidrs');
        if (cidrs === 'unknown') problems.push('vpc_config.public_access_cidrs is unknown at this stage');
        else if (cidrs.length === 0 || publicReach(cidrs.map(String)).families.length > 0)
          problems.push('vpc_config.public_access_cidrs reaches internet-routable addresses');
      }
      return judged(c.address, problems);
    });
  },
});

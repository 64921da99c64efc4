/**
 * Let every pod of a namespace resolve names: egress to the cluster DNS pods only (kube-system, label
 * `k8s-app: kube-dns`, which CoreDNS keeps for compatibility), on UDP and TCP 53.
 */
import { Construct } from 'constructs';
import { LABEL_NAMESPACE_NAME } from './labels';
import { NamespacedPolicyProps, networkPolicyResource } from './network-policy';

export interface DnsEgressPolicyProps extends NamespacedPolicyProps {
  /**
   * Namespace the cluster DNS runs in.
   * @default 'kube-system'
   */
  readonly dnsNamespace?: string;
  /**
   * Labels selecting the DNS pods inside `dnsNamespace`.
   * @default { 'k8s-app': 'kube-dns' }
   */
  readonly dnsPodLabels?: Record<string, string>;
}

export class DnsEgressPolicy extends Construct {
  public static readonly POLICY_NAME = 'allow-dns-egress';

  constructor(scope: Construct, id: string, props: DnsEgressPolicyProps) {
    super(scope, id);
    networkPolicyResource(this, DnsEgressPolicy.POLICY_NAME, props, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          // One peer with both selectors: DNS pods AND in the DNS namespace (two peers would mean OR).
          to: [
            {
              namespaceSelector: { matchLabels: { [LABEL_NAMESPACE_NAME]: props.dnsNamespace ?? 'kube-system' } },
              podSelector: { matchLabels: props.dnsPodLabels ?? { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { port: '53', protocol: 'UDP' },
            { port: '53', protocol: 'TCP' },
          ],
        },
      ],
    });
  }
}

/**
 * Kubernetes baseline stacks `k8s-dev`, `k8s-stage`, `k8s-prod` (seed 000, "Cluster/runtime hygiene").
 * Each tier gets the same three trust domains, sized by constructs/k8s/k8s-tier.ts:
 *
 *   kfm-ingress   internal ingress proxy: the only way in. Accepts the tier's internal load balancer
 *                 (private network) on 8443; may reach kfm-api on 8080 and nothing else.
 *   kfm-api       governed API (policy enforcement point). Accepts kfm-ingress only, on 8080; may reach
 *                 the private network on 5432 (PostGIS) and 443 (object storage / STS private endpoints).
 *   kfm-pipeline  pipeline workers. Accept nothing; may reach the private network on 443 (write zones
 *                 through the object-storage endpoint) and 5432 (rebuild PostGIS projections).
 *
 * Every namespace is default-deny for ingress and egress with DNS egress allowed; nothing may reach the
 * internet. No kubernetes provider binary exists on the build machine: these stacks are synthesized and
 * asserted (__tests__/stacks/k8s-stacks.test.ts), not planned.
 */
import { App, LocalBackend, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { CidrPolicy } from '../constructs/k8s/cidr-policy';
import { K8S_TIERS, K8sTier } from '../constructs/k8s/k8s-tier';
import { NamespaceEgressPolicy } from '../constructs/k8s/namespace-egress-policy';
import { NamespaceIngressPolicy } from '../constructs/k8s/namespace-ingress-policy';
import { TrustDomain } from '../constructs/k8s/trust-domain';
import { PolicyLabel, TIER_NAMES, Zone } from '../core/vocabulary';

export const NAMESPACES = { ingress: 'kfm-ingress', api: 'kfm-api', pipeline: 'kfm-pipeline' } as const;
export const API_PORT = 8080;
export const INGRESS_PORT = 8443;
export const POSTGRES_PORT = 5432;
export const HTTPS_PORT = 443;

/** Stack name of a tier's Kubernetes baseline. */
export function k8sStackName(tier: K8sTier): string {
  return `k8s-${tier.name}`;
}

export interface KubernetesBaselineStackProps {
  readonly tier: K8sTier;
}

export class KubernetesBaselineStack extends TerraformStack {
  public readonly ingress: TrustDomain;
  public readonly api: TrustDomain;
  public readonly pipeline: TrustDomain;

  constructor(scope: Construct, id: string, props: KubernetesBaselineStackProps) {
    super(scope, id);
    const tier = props.tier;
    // Explicit and relative (cdktf's default is an absolute path under the synth cwd, which would make
    // cdk.tf.json differ between two clones): the state file lands in the project root, as by default.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    this.kubernetesProvider(tier);
    this.ingress = this.trustDomain('Ingress', tier, NAMESPACES.ingress, 'kfm-ingress-proxy', 'internal');
    this.api = this.trustDomain('Api', tier, NAMESPACES.api, 'kfm-api', 'restricted', 'published');
    this.pipeline = this.trustDomain(
      'Pipeline',
      tier,
      NAMESPACES.pipeline,
      'kfm-pipeline-worker',
      'restricted',
      'work',
    );
    this.allowFlows(tier);
  }

  /**
   * No credentials in config: the provider reads the kubeconfig named by a variable (override with
   * TF_VAR_kube_config_path), pinned to the tier's context so a dev apply cannot reach prod.
   */
  private kubernetesProvider(tier: K8sTier): void {
    const configPath = new TerraformVariable(this, 'kube_config_path', {
      type: 'string',
      default: '~/.kube/config',
      description: 'Path to a kubeconfig file (TF_VAR_kube_config_path). Never put credentials in Terraform config.',
    });
    const context = new TerraformVariable(this, 'kube_context', {
      type: 'string',
      default: tier.kubeContext,
      description: `kubeconfig context of the ${tier.name} cluster`,
    });
    new KubernetesProvider(this, 'kubernetes', {
      configPath: configPath.stringValue,
      configContext: context.stringValue,
    });
  }

  /** One closed trust domain whose workload may only read its own ConfigMap. */
  private trustDomain(
    id: string,
    tier: K8sTier,
    namespace: string,
    serviceAccountName: string,
    policyLabel: PolicyLabel,
    zone?: Zone,
  ): TrustDomain {
    return new TrustDomain(this, id, {
      tier,
      namespace,
      policyLabel,
      ...(zone ? { zone } : {}),
      workload: { serviceAccountName, rules: [readOwnConfigMap(serviceAccountName)] },
    });
  }

  /** The flows between the domains and to the private network; everything else stays denied. */
  private allowFlows(tier: K8sTier): void {
    const dep = (d: TrustDomain) => [d.namespace.resource];
    const privateNetwork = (id: string, domain: TrustDomain, direction: 'Ingress' | 'Egress', ports: number[]) =>
      new CidrPolicy(this, id, {
        name: direction === 'Ingress' ? 'allow-ingress-from-internal-lb' : 'allow-egress-private-network',
        namespace: domain.namespace.name,
        direction,
        cidrs: tier.privateNetworkCidrs,
        ports: ports.map((port) => ({ port })),
        dependsOn: dep(domain),
      });
    // Ingress proxy: in from the internal load balancer, out to the API only.
    privateNetwork('IngressFromLoadBalancer', this.ingress, 'Ingress', [INGRESS_PORT]);
    new NamespaceEgressPolicy(this, 'IngressToApi', {
      name: 'allow-egress-to-api',
      namespace: NAMESPACES.ingress,
      toNamespace: NAMESPACES.api,
      ports: [{ port: API_PORT }],
      dependsOn: dep(this.ingress),
    });
    // API: in from the ingress namespace only; out to the database and object storage.
    new NamespaceIngressPolicy(this, 'ApiFromIngress', {
      name: 'allow-api-from-ingress',
      namespace: NAMESPACES.api,
      fromNamespace: NAMESPACES.ingress,
      ports: [{ port: API_PORT }],
      dependsOn: dep(this.api),
    });
    privateNetwork('ApiToPrivateNetwork', this.api, 'Egress', [POSTGRES_PORT, HTTPS_PORT]);
    // Pipeline: no ingress at all; out to object storage and the database.
    privateNetwork('PipelineToPrivateNetwork', this.pipeline, 'Egress', [HTTPS_PORT, POSTGRES_PORT]);
  }
}

/** The only Kubernetes API access a KFM workload has: read its own ConfigMap, named after it. */
function readOwnConfigMap(name: string) {
  return { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: [name] };
}

/** Builds `k8s-dev`, `k8s-stage`, `k8s-prod`, in promotion order. */
export function buildKubernetesStacks(app: App): TerraformStack[] {
  return TIER_NAMES.map((name) => {
    const tier = K8S_TIERS[name];
    return new KubernetesBaselineStack(app, k8sStackName(tier), { tier });
  });
}

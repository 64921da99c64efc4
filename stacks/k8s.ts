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
 * asserted (__tests__/k8s/), not planned.
 */
import { App, LocalBackend, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { CidrPolicy } from '../constructs/k8s/cidr-policy';
import { K8S_TIERS, K8sTier } from '../constructs/k8s/k8s-tier';
import { NamespaceEgressPolicy } from '../constructs/k8s/namespace-egress-policy';
import { NamespaceIngressPolicy } from '../constructs/k8s/namespace-ingress-policy';
import { TrustDomain } from '../constructs/k8s/trust-domain';
import { TIER_NAMES } from '../core/vocabulary';

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

    // No credentials in config: the provider reads the kubeconfig named by a variable (override with
    // TF_VAR_kube_config_path), pinned to the tier's context so a dev apply cannot reach prod.
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

    this.ingress = new TrustDomain(this, 'Ingress', {
      tier,
      namespace: NAMESPACES.ingress,
      policyLabel: 'internal',
      workload: { serviceAccountName: 'kfm-ingress-proxy', rules: [readOwnConfigMap('kfm-ingress-proxy')] },
    });
    this.api = new TrustDomain(this, 'Api', {
      tier,
      namespace: NAMESPACES.api,
      policyLabel: 'restricted',
      zone: 'published',
      workload: { serviceAccountName: 'kfm-api', rules: [readOwnConfigMap('kfm-api')] },
    });
    this.pipeline = new TrustDomain(this, 'Pipeline', {
      tier,
      namespace: NAMESPACES.pipeline,
      policyLabel: 'restricted',
      zone: 'work',
      workload: { serviceAccountName: 'kfm-pipeline-worker', rules: [readOwnConfigMap('kfm-pipeline-worker')] },
    });

    const dep = (d: TrustDomain) => [d.namespace.resource];
    // Ingress proxy: in from the internal load balancer, out to the API only.
    new CidrPolicy(this, 'IngressFromLoadBalancer', {
      name: 'allow-ingress-from-internal-lb',
      namespace: NAMESPACES.ingress,
      direction: 'Ingress',
      cidrs: tier.privateNetworkCidrs,
      ports: [{ port: INGRESS_PORT }],
      dependsOn: dep(this.ingress),
    });
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
    new CidrPolicy(this, 'ApiToPrivateNetwork', {
      name: 'allow-egress-private-network',
      namespace: NAMESPACES.api,
      direction: 'Egress',
      cidrs: tier.privateNetworkCidrs,
      ports: [{ port: POSTGRES_PORT }, { port: HTTPS_PORT }],
      dependsOn: dep(this.api),
    });
    // Pipeline: no ingress at all; out to object storage and the database.
    new CidrPolicy(this, 'PipelineToPrivateNetwork', {
      name: 'allow-egress-private-network',
      namespace: NAMESPACES.pipeline,
      direction: 'Egress',
      cidrs: tier.privateNetworkCidrs,
      ports: [{ port: HTTPS_PORT }, { port: POSTGRES_PORT }],
      dependsOn: dep(this.pipeline),
    });
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

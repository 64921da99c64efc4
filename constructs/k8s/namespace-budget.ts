/**
 * The compute budget of one namespace: a ResourceQuota capping the namespace's total, and a LimitRange
 * giving every container default requests/limits (so the quota can be enforced on pods that declare none)
 * and a per-container ceiling. The quota also forbids LoadBalancer and NodePort services: exposure goes
 * through the ingress namespace only, never around it.
 */
import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { ResourceQuotaV1 } from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
import { LimitRangeV1 } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
import { COMMON_LABELS } from './labels';
import { ContainerLimits, NamespaceQuota } from './k8s-tier';

export interface NamespaceBudgetProps {
  /** Namespace the budget applies to. */
  readonly namespace: string;
  /** Hard caps, from the tier (constructs/k8s/k8s-tier.ts). */
  readonly quota: NamespaceQuota;
  /** Per-container defaults and ceiling, from the tier. */
  readonly containerLimits: ContainerLimits;
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class NamespaceBudget extends Construct {
  public static readonly QUOTA_NAME = 'kfm-quota';
  public static readonly LIMIT_RANGE_NAME = 'kfm-container-limits';

  constructor(scope: Construct, id: string, props: NamespaceBudgetProps) {
    super(scope, id);
    const q = props.quota;
    const l = props.containerLimits;
    new ResourceQuotaV1(this, 'Quota', {
      metadata: { name: NamespaceBudget.QUOTA_NAME, namespace: props.namespace, labels: { ...COMMON_LABELS } },
      spec: {
        hard: {
          'requests.cpu': q.requestsCpu,
          'requests.memory': q.requestsMemory,
          'limits.cpu': q.limitsCpu,
          'limits.memory': q.limitsMemory,
          pods: String(q.pods),
          services: String(q.services),
          'services.loadbalancers': '0',
          'services.nodeports': '0',
          persistentvolumeclaims: String(q.persistentVolumeClaims),
          'requests.storage': q.requestsStorage,
          configmaps: String(q.configMaps),
          secrets: String(q.secrets),
        },
      },
      dependsOn: props.dependsOn,
    });
    new LimitRangeV1(this, 'LimitRange', {
      metadata: { name: NamespaceBudget.LIMIT_RANGE_NAME, namespace: props.namespace, labels: { ...COMMON_LABELS } },
      spec: {
        limit: [
          {
            type: 'Container',
            defaultRequest: { cpu: l.defaultRequestCpu, memory: l.defaultRequestMemory },
            default: { cpu: l.defaultLimitCpu, memory: l.defaultLimitMemory },
            max: { cpu: l.maxCpu, memory: l.maxMemory },
          },
        ],
      },
      dependsOn: props.dependsOn,
    });
  }
}

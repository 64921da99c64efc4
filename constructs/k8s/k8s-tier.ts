/**
 * The one description that drives the three Kubernetes baseline stacks (plan 21.03: dev small, stage
 * mirrors dev with room for validation, prod larger). Everything that differs between tiers is here;
 * the constructs and stacks/k8s.ts hold no per-tier `if`s.
 */
import { TierName } from '../../core/vocabulary';

/** Hard caps of one namespace's ResourceQuota. Quantities use Kubernetes notation (`500m`, `4Gi`). */
export interface NamespaceQuota {
  readonly requestsCpu: string;
  readonly requestsMemory: string;
  readonly limitsCpu: string;
  readonly limitsMemory: string;
  readonly pods: number;
  readonly services: number;
  readonly persistentVolumeClaims: number;
  readonly requestsStorage: string;
  readonly configMaps: number;
  readonly secrets: number;
}

/** Per-container defaults and ceiling of one namespace's LimitRange. */
export interface ContainerLimits {
  /** Request given to a container that declares none. */
  readonly defaultRequestCpu: string;
  readonly defaultRequestMemory: string;
  /** Limit given to a container that declares none. */
  readonly defaultLimitCpu: string;
  readonly defaultLimitMemory: string;
  /** No single container may ask for more. */
  readonly maxCpu: string;
  readonly maxMemory: string;
}

export interface K8sTier {
  readonly name: TierName;
  /** kubeconfig context the stack is pinned to, so a dev apply cannot land on the prod cluster. */
  readonly kubeContext: string;
  /** Quota of each trust-domain namespace. */
  readonly quota: NamespaceQuota;
  /** LimitRange of each trust-domain namespace. */
  readonly containerLimits: ContainerLimits;
  /**
   * The tier's private network (VPC) range: where the database and the private (VPC) endpoints of object
   * storage live. The only non-cluster destination any workload may reach. Never `0.0.0.0/0` or `::/0`.
   */
  readonly privateNetworkCidrs: readonly string[];
}

const DEV_LIMITS: ContainerLimits = {
  defaultRequestCpu: '100m',
  defaultRequestMemory: '128Mi',
  defaultLimitCpu: '500m',
  defaultLimitMemory: '512Mi',
  maxCpu: '1',
  maxMemory: '2Gi',
};

/** dev, stage, prod — in promotion order. */
export const K8S_TIERS: Readonly<Record<TierName, K8sTier>> = Object.freeze({
  dev: {
    name: 'dev',
    kubeContext: 'kfm-dev',
    quota: {
      requestsCpu: '2',
      requestsMemory: '4Gi',
      limitsCpu: '4',
      limitsMemory: '8Gi',
      pods: 20,
      services: 5,
      persistentVolumeClaims: 4,
      requestsStorage: '20Gi',
      configMaps: 20,
      secrets: 20,
    },
    containerLimits: DEV_LIMITS,
    privateNetworkCidrs: ['10.10.0.0/16'],
  },
  stage: {
    name: 'stage',
    kubeContext: 'kfm-stage',
    quota: {
      requestsCpu: '4',
      requestsMemory: '8Gi',
      limitsCpu: '8',
      limitsMemory: '16Gi',
      pods: 40,
      services: 10,
      persistentVolumeClaims: 8,
      requestsStorage: '50Gi',
      configMaps: 40,
      secrets: 40,
    },
    containerLimits: { ...DEV_LIMITS, maxCpu: '2', maxMemory: '4Gi' },
    privateNetworkCidrs: ['10.20.0.0/16'],
  },
  prod: {
    name: 'prod',
    kubeContext: 'kfm-prod',
    quota: {
      requestsCpu: '16',
      requestsMemory: '32Gi',
      limitsCpu: '32',
      limitsMemory: '64Gi',
      pods: 100,
      services: 20,
      persistentVolumeClaims: 20,
      requestsStorage: '500Gi',
      configMaps: 100,
      secrets: 100,
    },
    containerLimits: {
      defaultRequestCpu: '250m',
      defaultRequestMemory: '256Mi',
      defaultLimitCpu: '1',
      defaultLimitMemory: '1Gi',
      maxCpu: '4',
      maxMemory: '8Gi',
    },
    privateNetworkCidrs: ['10.30.0.0/16'],
  },
});

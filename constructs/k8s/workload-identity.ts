/**
 * The Kubernetes identity of one workload: its own ServiceAccount (API token NOT mounted unless asked for),
 * a least-privilege Role in the same namespace, and a RoleBinding tying the two. The binding always refers
 * to a namespaced Role by kind, so it can never grant a ClusterRole such as `cluster-admin`.
 */
import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { assertDnsLabel, COMMON_LABELS } from './labels';
import { LeastPrivilegeRole, PolicyRule } from './least-privilege-role';

export interface WorkloadIdentityProps {
  /** Service account name; the Role and RoleBinding take the same name. */
  readonly name: string;
  /** Namespace of the service account, Role and RoleBinding. */
  readonly namespace: string;
  /** What the workload may do through the Kubernetes API; least-privilege checked. */
  readonly rules: readonly PolicyRule[];
  /**
   * Mount the service account token into the workload's pods. Only a workload that calls the Kubernetes
   * API needs it; pods can still opt in per pod spec.
   * @default false
   */
  readonly automountToken?: boolean;
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class WorkloadIdentity extends Construct {
  public readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    const name = assertDnsLabel(props.name, this);
    this.serviceAccountName = name;
    const labels = { ...COMMON_LABELS };
    new ServiceAccountV1(this, 'ServiceAccount', {
      metadata: { name, namespace: props.namespace, labels },
      automountServiceAccountToken: props.automountToken ?? false,
      dependsOn: props.dependsOn,
    });
    const role = new LeastPrivilegeRole(this, 'Role', {
      name,
      namespace: props.namespace,
      rules: props.rules,
      dependsOn: props.dependsOn,
    });
    new RoleBindingV1(this, 'RoleBinding', {
      metadata: { name, namespace: props.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subject: [{ kind: 'ServiceAccount', name, namespace: props.namespace }],
      dependsOn: props.dependsOn,
    });
  }
}

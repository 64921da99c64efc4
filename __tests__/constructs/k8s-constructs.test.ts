/**
 * The Kubernetes baseline constructs refuse, at synth time and with a one-line message, what the baseline
 * forbids; and their defaults are the secure ones.
 */
import { Testing, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CidrPolicy } from '../../constructs/k8s/cidr-policy';
import { K8sBaselineError } from '../../constructs/k8s/errors';
import { K8S_TIERS } from '../../constructs/k8s/k8s-tier';
import { LeastPrivilegeRole, PolicyRule } from '../../constructs/k8s/least-privilege-role';
import { NamespaceIngressPolicy } from '../../constructs/k8s/namespace-ingress-policy';
import { RestrictedNamespace } from '../../constructs/k8s/restricted-namespace';
import { TrustDomain } from '../../constructs/k8s/trust-domain';
import { WorkloadIdentity } from '../../constructs/k8s/workload-identity';
import { PolicyLabel, VocabularyError, Zone } from '../../core/vocabulary';
import { refusal } from './refusal';

type Json = Record<string, any>;

function stack(): Construct {
  return new TerraformStack(Testing.app(), 'test');
}

/** Runs `build`, expects it to throw `type` with a one-line message matching `pattern`. */
function expectRefused(build: () => unknown, type: new (...a: any[]) => Error, pattern: RegExp): void {
  const error = refusal(build);
  expect(error).toBeInstanceOf(type);
  expect(error.message).toMatch(pattern);
}

const GET_OWN_CONFIG: PolicyRule = {
  apiGroups: [''],
  resources: ['configmaps'],
  verbs: ['get'],
  resourceNames: ['app'],
};

function role(rules: PolicyRule[]): void {
  new LeastPrivilegeRole(stack(), 'Role', { name: 'app', namespace: 'kfm-api', rules });
}

describe('RestrictedNamespace', () => {
  it('fails synth when given a policy label outside the controlled vocabulary', () => {
    expectRefused(
      () =>
        new RestrictedNamespace(stack(), 'Ns', {
          name: 'kfm-api',
          tier: 'dev',
          policyLabel: 'top_secret' as PolicyLabel,
        }),
      VocabularyError,
      /^test\/Ns: policy_label "top_secret" is not in the controlled vocabulary \(public, .*quarantine\)$/,
    );
  });

  it('fails synth when given a zone outside the controlled vocabulary', () => {
    expectRefused(
      () =>
        new RestrictedNamespace(stack(), 'Ns', {
          name: 'kfm-api',
          tier: 'dev',
          policyLabel: 'restricted',
          zone: 'served' as Zone,
        }),
      VocabularyError,
      /^test\/Ns: zone "served" is not in the controlled vocabulary/,
    );
  });

  it('fails synth when the namespace name is not a DNS label', () => {
    expectRefused(
      () => new RestrictedNamespace(stack(), 'Ns', { name: 'KFM_API', tier: 'dev', policyLabel: 'internal' }),
      K8sBaselineError,
      /^test\/Ns: name "KFM_API" is not a DNS label/,
    );
  });
});

describe('LeastPrivilegeRole', () => {
  it('synthesizes a Role whose rules name each verb, resource and object', () => {
    const scope = stack();
    new LeastPrivilegeRole(scope, 'Role', { name: 'app', namespace: 'kfm-api', rules: [GET_OWN_CONFIG] });
    const json = JSON.parse(Testing.synth(scope as TerraformStack)) as Json;
    expect(Object.values(json.resource.kubernetes_role_v1)).toEqual([
      expect.objectContaining({
        rule: [{ api_groups: [''], resources: ['configmaps'], verbs: ['get'], resource_names: ['app'] }],
      }),
    ]);
  });

  it('refuses a rule with a "*" verb at synth', () => {
    expectRefused(
      () => role([{ ...GET_OWN_CONFIG, verbs: ['*'] }]),
      K8sBaselineError,
      /^test\/Role: rule\[0\]: verbs contains wildcard "\*"; list each verb explicitly$/,
    );
  });

  it('refuses a wildcard in resources, apiGroups or resourceNames, including a subresource wildcard', () => {
    expectRefused(
      () => role([{ ...GET_OWN_CONFIG, resources: ['pods/*'] }]),
      K8sBaselineError,
      /resources contains wildcard "pods\/\*"/,
    );
    expectRefused(
      () => role([{ ...GET_OWN_CONFIG, apiGroups: ['*'] }]),
      K8sBaselineError,
      /apiGroups contains wildcard/,
    );
    expectRefused(
      () => role([GET_OWN_CONFIG, { ...GET_OWN_CONFIG, resourceNames: ['app-*'] }]),
      K8sBaselineError,
      /rule\[1\]: resourceNames contains wildcard "app-\*"/,
    );
  });

  it('refuses the privilege-escalation verbs escalate, bind and impersonate', () => {
    for (const verb of ['escalate', 'bind', 'impersonate']) {
      expectRefused(
        () => role([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['get', verb] }]),
        K8sBaselineError,
        new RegExp(`verb "${verb}" allows privilege escalation`),
      );
    }
  });

  it('refuses access to secrets that is not pinned to named secrets', () => {
    expectRefused(
      () => role([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }]),
      K8sBaselineError,
      /access to secrets must name the secrets in resourceNames/,
    );
  });

  it('refuses a Role with no rules and a rule with no verbs', () => {
    expectRefused(
      () => role([]),
      K8sBaselineError,
      /rules is empty; a workload that needs no API access should bind no Role/,
    );
    expectRefused(
      () => role([{ ...GET_OWN_CONFIG, verbs: [] }]),
      K8sBaselineError,
      /must each list at least one entry/,
    );
  });
});

describe('WorkloadIdentity', () => {
  const synthIdentity = (automountToken?: boolean): Json => {
    const scope = stack();
    new WorkloadIdentity(scope, 'Id', { name: 'app', namespace: 'kfm-api', rules: [GET_OWN_CONFIG], automountToken });
    return JSON.parse(Testing.synth(scope as TerraformStack)) as Json;
  };

  it('does not mount the service account token by default', () => {
    const sa = Object.values(synthIdentity().resource.kubernetes_service_account_v1) as Json[];
    expect(sa.map((s) => s.automount_service_account_token)).toEqual([false]);
  });

  it('mounts the token only when asked to', () => {
    const sa = Object.values(synthIdentity(true).resource.kubernetes_service_account_v1) as Json[];
    expect(sa.map((s) => s.automount_service_account_token)).toEqual([true]);
  });

  it('binds its own namespaced Role to its own service account', () => {
    const rb = Object.values(synthIdentity().resource.kubernetes_role_binding_v1) as Json[];
    expect(rb).toEqual([
      expect.objectContaining({
        role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: 'app' },
        subject: [{ kind: 'ServiceAccount', name: 'app', namespace: 'kfm-api' }],
      }),
    ]);
  });
});

describe('CidrPolicy', () => {
  const cidrPolicy = (cidrs: string[], direction: 'Ingress' | 'Egress' = 'Ingress') =>
    new CidrPolicy(stack(), 'P', {
      name: 'allow-lb',
      namespace: 'kfm-ingress',
      direction,
      cidrs,
      ports: [{ port: 8443 }],
    });

  it('refuses a world-open IPv4 or IPv6 range in either direction', () => {
    expectRefused(() => cidrPolicy(['0.0.0.0/0']), K8sBaselineError, /"0\.0\.0\.0\/0" is open to the world/);
    expectRefused(() => cidrPolicy(['::/0'], 'Egress'), K8sBaselineError, /"::\/0" is open to the world/);
    expectRefused(() => cidrPolicy(['10.10.0.0/16', '0.0.0.0/1']), K8sBaselineError, /prefix \/1/);
  });

  it('refuses a malformed CIDR and an empty CIDR list', () => {
    expectRefused(() => cidrPolicy(['10.10.0.300/16']), K8sBaselineError, /"10\.10\.0\.300\/16" is not an IPv4 CIDR/);
    expectRefused(() => cidrPolicy([]), K8sBaselineError, /cidrs is empty/);
  });
});

describe('NamespaceIngressPolicy', () => {
  it('refuses an empty port list, which NetworkPolicy would read as every port', () => {
    expectRefused(
      () =>
        new NamespaceIngressPolicy(stack(), 'P', {
          name: 'allow-x',
          namespace: 'kfm-api',
          fromNamespace: 'kfm-ingress',
          ports: [],
        }),
      K8sBaselineError,
      /^test\/P: ports is empty/,
    );
  });

  it('refuses a port outside 1-65535', () => {
    expectRefused(
      () =>
        new NamespaceIngressPolicy(stack(), 'P', {
          name: 'allow-x',
          namespace: 'kfm-api',
          fromNamespace: 'kfm-ingress',
          ports: [{ port: 70000 }],
        }),
      K8sBaselineError,
      /port 70000 is out of range/,
    );
  });
});

describe('TrustDomain', () => {
  it('fails synth of the whole domain when its policy label is unknown', () => {
    expectRefused(
      () =>
        new TrustDomain(stack(), 'D', {
          tier: K8S_TIERS.dev,
          namespace: 'kfm-api',
          policyLabel: 'secret' as PolicyLabel,
          workload: { serviceAccountName: 'kfm-api', rules: [GET_OWN_CONFIG] },
        }),
      VocabularyError,
      /policy_label "secret"/,
    );
  });

  it('fails synth of the whole domain when its workload asks for a wildcard', () => {
    expectRefused(
      () =>
        new TrustDomain(stack(), 'D', {
          tier: K8S_TIERS.prod,
          namespace: 'kfm-pipeline',
          policyLabel: 'restricted',
          workload: {
            serviceAccountName: 'worker',
            rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['*'] }],
          },
        }),
      K8sBaselineError,
      /^test\/D\/Workload\/Role: rule\[0\]: verbs contains wildcard/,
    );
  });
});

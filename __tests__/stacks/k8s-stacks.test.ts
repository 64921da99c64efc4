/**
 * The Kubernetes baseline stacks, synthesized (no kubernetes provider binary exists here, so they are never
 * planned). Snapshots catch any change; the explicit assertions below name each control so an accepted
 * snapshot update cannot silently drop one.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing, TerraformStack } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { buildKubernetesStacks, NAMESPACES } from '../../stacks/k8s';
import { POLICY_LABELS, TIER_NAMES, ZONES } from '../../core/vocabulary';

Testing.setupJest();

type Json = Record<string, any>;

interface Synthed {
  readonly stack: TerraformStack;
  readonly text: string;
  readonly json: Json;
}

function resources(s: Synthed, type: string): Json[] {
  return Object.values((s.json.resource ?? {})[type] ?? {});
}

function inNamespace(list: Json[], ns: string): Json[] {
  return list.filter((r) => r.metadata.namespace === ns);
}

/** Kubernetes quantity to a number (cores or bytes), for comparing tiers. */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`unparsable quantity ${q}`);
  const mult: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}

/**
 * `toHaveResourceWithProperties` matches only the top level partially; wrap every nested object so the
 * expectation reads as "contains at least these properties" all the way down (arrays stay exact-length).
 */
function containing(props: Json): Json {
  const wrap = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(wrap);
    if (value !== null && typeof value === 'object') return expect.objectContaining(containing(value as Json));
    return value;
  };
  const out: Json = {};
  for (const [k, v] of Object.entries(props)) out[k] = wrap(v);
  return out;
}

const ALL_NAMESPACES = Object.values(NAMESPACES);
const synthed: Record<string, Synthed> = {};

beforeAll(() => {
  const app = Testing.app();
  for (const stack of buildKubernetesStacks(app)) {
    const text = Testing.synth(stack);
    synthed[stack.node.id] = { stack, text, json: JSON.parse(text) };
  }
});

describe('buildKubernetesStacks', () => {
  it('builds exactly k8s-dev, k8s-stage and k8s-prod, in promotion order', () => {
    const app = Testing.app();
    expect(buildKubernetesStacks(app).map((s) => s.node.id)).toEqual(['k8s-dev', 'k8s-stage', 'k8s-prod']);
  });

  it('writes byte-identical cdk.tf.json files on two synths of the same code', () => {
    const synthOnce = (): Record<string, Buffer> => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfm-k8s-synth-'));
      try {
        const app = new App({ outdir, skipValidation: true });
        buildKubernetesStacks(app);
        app.synth();
        const out: Record<string, Buffer> = {};
        for (const t of TIER_NAMES) out[t] = fs.readFileSync(path.join(outdir, 'stacks', `k8s-${t}`, 'cdk.tf.json'));
        return out;
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    };
    const a = synthOnce();
    const b = synthOnce();
    for (const t of TIER_NAMES) {
      expect(a[t].length).toBeGreaterThan(1000);
      expect(a[t].equals(b[t])).toBe(true);
    }
  });
});

describe.each(TIER_NAMES.map((t) => `k8s-${t}`))('%s', (name) => {
  const s = (): Synthed => synthed[name];
  const tier = name.replace(/^k8s-/, '');

  it('matches the synthesized JSON snapshot', () => {
    expect(s().text).toMatchSnapshot();
  });

  it('creates the ingress, governed API and pipeline namespaces and no others', () => {
    const names = resources(s(), 'kubernetes_namespace_v1').map((n) => n.metadata.name);
    expect(names.sort()).toEqual([...ALL_NAMESPACES].sort());
  });

  it('labels every namespace with the restricted Pod Security profile (enforce, audit, warn)', () => {
    for (const ns of ALL_NAMESPACES) {
      expect(s().text).toHaveResourceWithProperties(
        NamespaceV1,
        containing({
          metadata: {
            name: ns,
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/enforce-version': 'latest',
              'pod-security.kubernetes.io/audit': 'restricted',
              'pod-security.kubernetes.io/warn': 'restricted',
            },
          },
        }),
      );
    }
    for (const n of resources(s(), 'kubernetes_namespace_v1')) {
      expect(n.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    }
  });

  it('labels every namespace with its tier and a policy label (and zone) from the controlled vocabularies', () => {
    for (const n of resources(s(), 'kubernetes_namespace_v1')) {
      const labels = n.metadata.labels;
      expect(labels['kfm.io/tier']).toBe(tier);
      expect(POLICY_LABELS).toContain(labels['kfm.io/policy-label']);
      if (labels['kfm.io/zone'] !== undefined) expect(ZONES).toContain(labels['kfm.io/zone']);
    }
    expect(s().text).toHaveResourceWithProperties(
      NamespaceV1,
      containing({
        metadata: { name: 'kfm-api', labels: { 'kfm.io/policy-label': 'restricted', 'kfm.io/zone': 'published' } },
      }),
    );
    expect(s().text).toHaveResourceWithProperties(
      NamespaceV1,
      containing({
        metadata: { name: 'kfm-pipeline', labels: { 'kfm.io/policy-label': 'restricted', 'kfm.io/zone': 'work' } },
      }),
    );
  });

  it('puts a default-deny NetworkPolicy for ingress and egress, selecting every pod, in every namespace', () => {
    const policies = resources(s(), 'kubernetes_network_policy_v1');
    for (const ns of ALL_NAMESPACES) {
      const denies = inNamespace(policies, ns).filter((p) => p.metadata.name === 'default-deny-all');
      expect(denies).toHaveLength(1);
      const spec = denies[0].spec;
      expect(spec.pod_selector).toEqual({});
      expect([...spec.policy_types].sort()).toEqual(['Egress', 'Ingress']);
      expect(spec.ingress).toBeUndefined();
      expect(spec.egress).toBeUndefined();
    }
  });

  it('allows DNS egress (UDP and TCP 53) to kube-dns in kube-system from every namespace', () => {
    for (const ns of ALL_NAMESPACES) {
      expect(s().text).toHaveResourceWithProperties(
        NetworkPolicyV1,
        containing({
          metadata: { name: 'allow-dns-egress', namespace: ns },
          spec: {
            pod_selector: {},
            policy_types: ['Egress'],
            egress: [
              {
                to: [
                  {
                    namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                    pod_selector: { match_labels: { 'k8s-app': 'kube-dns' } },
                  },
                ],
                ports: [
                  { port: '53', protocol: 'UDP' },
                  { port: '53', protocol: 'TCP' },
                ],
              },
            ],
          },
        }),
      );
    }
  });

  it('lets traffic into kfm-api only from the kfm-ingress namespace, on the API port', () => {
    const apiIngress = inNamespace(resources(s(), 'kubernetes_network_policy_v1'), NAMESPACES.api).filter(
      (p) => p.spec.ingress !== undefined,
    );
    expect(apiIngress).toHaveLength(1);
    expect(apiIngress[0].spec.ingress).toEqual([
      {
        from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'kfm-ingress' } } }],
        ports: [{ port: '8080', protocol: 'TCP' }],
      },
    ]);
    // The sending half: kfm-ingress may reach kfm-api on the same port.
    expect(s().text).toHaveResourceWithProperties(
      NetworkPolicyV1,
      containing({
        metadata: { namespace: NAMESPACES.ingress, name: 'allow-egress-to-api' },
        spec: {
          egress: [
            {
              to: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'kfm-api' } } }],
              ports: [{ port: '8080', protocol: 'TCP' }],
            },
          ],
        },
      }),
    );
  });

  it('admits no ingress at all into the pipeline namespace', () => {
    const pipeline = inNamespace(resources(s(), 'kubernetes_network_policy_v1'), NAMESPACES.pipeline);
    expect(pipeline.filter((p) => p.spec.ingress !== undefined)).toEqual([]);
  });

  it('never allows traffic from or to anywhere: every rule names peers and ports, no world-open CIDR', () => {
    for (const p of resources(s(), 'kubernetes_network_policy_v1')) {
      for (const rule of p.spec.ingress ?? []) {
        expect(rule.from?.length).toBeGreaterThan(0);
        expect(rule.ports?.length).toBeGreaterThan(0);
      }
      for (const rule of p.spec.egress ?? []) {
        expect(rule.to?.length).toBeGreaterThan(0);
        expect(rule.ports?.length).toBeGreaterThan(0);
      }
    }
    expect(s().text).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
  });

  it('limits pipeline egress to the private network on HTTPS and PostgreSQL', () => {
    const egress = inNamespace(resources(s(), 'kubernetes_network_policy_v1'), NAMESPACES.pipeline)
      .filter((p) => p.metadata.name !== 'allow-dns-egress')
      .flatMap((p) => p.spec.egress ?? []);
    expect(egress).toHaveLength(1);
    expect(egress[0].ports.map((p: Json) => `${p.protocol}/${p.port}`).sort()).toEqual(['TCP/443', 'TCP/5432']);
    for (const peer of egress[0].to) expect(peer.ip_block.cidr).toMatch(/^10\.\d+\.0\.0\/16$/);
  });

  it('gives every namespace a ResourceQuota and a LimitRange, and forbids LoadBalancer and NodePort services', () => {
    const quotas = resources(s(), 'kubernetes_resource_quota_v1');
    const ranges = resources(s(), 'kubernetes_limit_range_v1');
    for (const ns of ALL_NAMESPACES) {
      const q = inNamespace(quotas, ns);
      expect(q).toHaveLength(1);
      for (const k of ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'pods']) {
        expect(q[0].spec.hard[k]).toEqual(expect.any(String));
      }
      expect(q[0].spec.hard['services.loadbalancers']).toBe('0');
      expect(q[0].spec.hard['services.nodeports']).toBe('0');
      const r = inNamespace(ranges, ns);
      expect(r).toHaveLength(1);
      expect(r[0].spec.limit[0]).toMatchObject({
        type: 'Container',
        default: { cpu: expect.any(String), memory: expect.any(String) },
        default_request: { cpu: expect.any(String), memory: expect.any(String) },
        max: { cpu: expect.any(String), memory: expect.any(String) },
      });
    }
  });

  it('turns off service account token automount for every workload and for each namespace default account', () => {
    const sas = resources(s(), 'kubernetes_service_account_v1');
    expect(sas).toHaveLength(ALL_NAMESPACES.length);
    for (const sa of sas) expect(sa.automount_service_account_token).toBe(false);
    expect(s().text).toHaveResourceWithProperties(
      ServiceAccountV1,
      containing({
        metadata: { name: 'kfm-api', namespace: 'kfm-api' },
        automount_service_account_token: false,
      }),
    );
    const defaults = resources(s(), 'kubernetes_default_service_account_v1');
    expect(defaults.map((d) => d.metadata.namespace).sort()).toEqual([...ALL_NAMESPACES].sort());
    for (const d of defaults) expect(d.automount_service_account_token).toBe(false);
  });

  it('grants only namespaced Roles: no ClusterRole, no cluster-admin, no wildcard, bindings to own service accounts', () => {
    const types = Object.keys(s().json.resource);
    expect(types.filter((t) => /cluster_role/.test(t))).toEqual([]);
    expect(s().text).not.toMatch(/cluster-admin/);
    const roles = resources(s(), 'kubernetes_role_v1');
    expect(roles).toHaveLength(ALL_NAMESPACES.length);
    for (const role of roles) {
      for (const rule of role.rule) {
        for (const field of ['api_groups', 'resources', 'verbs', 'resource_names']) {
          for (const v of rule[field] ?? []) expect(v).not.toContain('*');
        }
        expect(rule.verbs).not.toEqual(expect.arrayContaining(['escalate']));
      }
    }
    const bindings = resources(s(), 'kubernetes_role_binding_v1');
    expect(bindings).toHaveLength(ALL_NAMESPACES.length);
    for (const b of bindings) {
      expect(b.role_ref.kind).toBe('Role');
      for (const subj of b.subject) {
        expect(subj.kind).toBe('ServiceAccount');
        expect(subj.namespace).toBe(b.metadata.namespace);
      }
    }
  });

  it('keeps its state in a relative local path, so synth output does not depend on the checkout directory', () => {
    expect(s().json.terraform.backend).toEqual({ local: { path: `../../../terraform.${name}.tfstate` } });
  });

  it('configures the kubernetes provider with a kubeconfig path and context only, no credentials', () => {
    const providers = s().json.provider.kubernetes as Json[];
    expect(providers).toHaveLength(1);
    expect(Object.keys(providers[0]).sort()).toEqual(['config_context', 'config_path']);
    expect(s().text).toHaveProviderWithProperties(KubernetesProvider, {
      config_path: '${var.kube_config_path}',
      config_context: '${var.kube_context}',
    });
    expect(s().json.variable.kube_context.default).toBe(`kfm-${tier}`);
  });
});

describe('tier sizing', () => {
  it('gives stage at least dev and prod more than stage, in every quota and container ceiling', () => {
    const quota = (t: string) => resources(synthed[`k8s-${t}`], 'kubernetes_resource_quota_v1')[0].spec.hard;
    const max = (t: string) => resources(synthed[`k8s-${t}`], 'kubernetes_limit_range_v1')[0].spec.limit[0].max;
    for (const k of ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'pods']) {
      expect(quantity(quota('stage')[k])).toBeGreaterThan(quantity(quota('dev')[k]));
      expect(quantity(quota('prod')[k])).toBeGreaterThan(quantity(quota('stage')[k]));
    }
    for (const k of ['cpu', 'memory']) {
      expect(quantity(max('prod')[k])).toBeGreaterThan(quantity(max('dev')[k]));
    }
  });
});

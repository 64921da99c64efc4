/**
 * The Kubernetes stacks checked by Kubernetes' own schemas: every resource converted to the API object
 * it creates, validated against the OpenAPI schemas of `kubernetes-models` (Kubernetes v1.36) with
 * strict fields, then judged by the Pod Security restricted, default-deny and least-privilege rules.
 * The schema package is ESM only, so the check runs in a tsx child process (scripts/k8s-schemas.ts).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { buildKubernetesStacks } from '../../stacks/k8s';
import { apiObjectsOf } from '../../policy/kubernetes/objects/api-object';

type Json = Record<string, any>;
const REPO = path.resolve(__dirname, '..', '..');

interface Run {
  readonly code: number;
  readonly lines: string[];
}

function check(stacks: Record<string, Json>): Run {
  const tsx = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const args = [tsx, path.join(REPO, 'scripts', 'k8s-schemas.ts')];
  try {
    const out = execFileSync(process.execPath, args, { cwd: REPO, input: JSON.stringify(stacks), encoding: 'utf8' });
    return { code: 0, lines: out.trim().split('\n') };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, lines: `${err.stdout}${err.stderr}`.trim().split('\n') };
  }
}

/** Problem lines only (the last line is the summary). */
const problems = (r: Run) => r.lines.slice(0, -1);

const stacks: Record<string, Json> = {};
beforeAll(() => {
  for (const stack of buildKubernetesStacks(Testing.app())) stacks[stack.node.id] = JSON.parse(Testing.synth(stack));
});

const prod = (): Json => structuredClone(stacks['k8s-prod']);
const firstId = (json: Json, type: string) => Object.keys(json.resource[type]).sort()[0]!;

describe('the API objects of the Kubernetes stacks', () => {
  it('converts every kubernetes resource, with the API names and types', () => {
    const json = stacks['k8s-prod'];
    const objects = apiObjectsOf('k8s-prod', json);
    const count = Object.values(json.resource as Json).reduce((n, r) => n + Object.keys(r).length, 0);
    expect(objects).toHaveLength(count);
    const role = objects.find((o) => o.object.kind === 'Role')!.object;
    expect(role).toMatchObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      rules: [{ apiGroups: [''], verbs: ['get'] }],
    });
    const port = objects.find((o) => o.object.kind === 'NetworkPolicy' && (o.object.spec as Json).ingress)!.object;
    expect((port.spec as Json).ingress[0].ports[0].port).toEqual(expect.any(Number));
    const ns = objects.find((o) => o.object.kind === 'Namespace')!.object;
    expect(ns.metadata!.labels).toHaveProperty(['pod-security.kubernetes.io/enforce'], 'restricted');
    expect(ns).not.toHaveProperty('waitForDefaultServiceAccount');
  });
});

describe('k8s-dev, k8s-stage and k8s-prod against the Kubernetes schemas and rules', () => {
  it('pass with no problem', () => {
    const run = check(stacks);
    expect(run.lines).toEqual([
      expect.stringMatching(/^k8s-schemas: ok \(k8s-dev \d+, k8s-stage \d+, k8s-prod \d+ objects\)$/),
    ]);
    expect(run.code).toBe(0);
  });

  it('fail on an unknown field with one line naming the stack and object', () => {
    const json = prod();
    const id = firstId(json, 'kubernetes_network_policy_v1');
    json.resource.kubernetes_network_policy_v1[id].spec.pod_selektor = {};
    const run = check({ 'k8s-prod': json });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^k8s-prod kubernetes_network_policy_v1\\.${id} \\(NetworkPolicy kfm-[a-z]+/[a-z-]+\\): schema: /spec/podSelektor unknown field$`,
        ),
      ),
    ]);
  });

  it('fail on a wrong type with one line naming the stack and object', () => {
    const json = prod();
    const id = firstId(json, 'kubernetes_role_v1');
    json.resource.kubernetes_role_v1[id].rule[0].verbs = 'get';
    const run = check({ 'k8s-prod': json });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^k8s-prod kubernetes_role_v1\\.${id} \\(Role kfm-[a-z]+/kfm-[a-z]+\\): schema: /rules/0/verbs must be array$`,
        ),
      ),
    ]);
  });

  it('fail on a privileged pod with one line naming the stack and object', () => {
    const json = prod();
    const hardened = {
      allow_privilege_escalation: false,
      run_as_non_root: true,
      capabilities: { drop: ['ALL'] },
      seccomp_profile: { type: 'RuntimeDefault' },
    };
    json.resource.kubernetes_pod_v1 = {
      Evil: {
        metadata: { name: 'evil', namespace: 'kfm-api' },
        spec: { container: [{ name: 'shell', image: 'busybox', security_context: { ...hardened, privileged: true } }] },
      },
    };
    const run = check({ 'k8s-prod': json });
    expect(run.code).toBe(1);
    expect(problems(run)).toEqual([
      'k8s-prod kubernetes_pod_v1.Evil (Pod kfm-api/evil): pod-security-restricted: breaks Pod Security restricted: container shell is privileged',
    ]);
  });

  it('fail when a namespace loses its default deny or a role grants *', () => {
    const json = prod();
    const denies = Object.entries(json.resource.kubernetes_network_policy_v1 as Json).filter(
      ([, p]) => p.metadata.name === 'default-deny-all',
    );
    delete json.resource.kubernetes_network_policy_v1[denies[0]![0]];
    json.resource.kubernetes_role_v1[firstId(json, 'kubernetes_role_v1')].rule[0].verbs = ['*'];
    const lines = problems(check({ 'k8s-prod': json }));
    expect(lines).toEqual([
      expect.stringMatching(
        /^k8s-prod kubernetes_namespace_v1\.\S+ \(Namespace kfm-[a-z]+\): namespace-default-deny: has no default-deny/,
      ),
      expect.stringMatching(
        /^k8s-prod kubernetes_role_v1\.\S+ \(Role kfm-[a-z]+\/kfm-[a-z]+\): rbac-least-privilege: grants \* in verbs$/,
      ),
    ]);
  });
});

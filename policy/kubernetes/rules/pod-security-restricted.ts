/**
 * Pod Security Standards, restricted profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/):
 * every namespace enforces it by label, and every pod spec this code creates (a Pod or a workload's
 * template) meets it, so a pod is refused here rather than by admission at apply time.
 */
import { ApiObject } from '../objects/api-object';
import { asList, asObject, Json, KubernetesFinding, KubernetesRule, ofKind } from './rule';

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];
/** Volume types the restricted profile allows. */
const ALLOWED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const ENFORCE = 'pod-security.kubernetes.io/enforce';

function podSpecOf(o: ApiObject): Json | undefined {
  const spec = asObject(o.object.spec);
  if (o.object.kind === 'Pod') return spec;
  if (WORKLOADS.includes(o.object.kind)) return asObject(asObject(spec.template).spec);
  if (o.object.kind === 'CronJob') return asObject(asObject(asObject(asObject(spec.jobTemplate).spec).template).spec);
  return undefined;
}

/** Named steps of the profile for one container, given the pod-level security context. */
function containerProblems(c: Json, pod: Json): string[] {
  const sc = asObject(c.securityContext);
  const podSc = asObject(pod.securityContext);
  const name = `container ${String(c.name ?? '?')}`;
  const out: string[] = [];
  if (sc.privileged === true) out.push(`${name} is privileged`);
  if (sc.allowPrivilegeEscalation !== false) out.push(`${name} does not set allowPrivilegeEscalation: false`);
  const caps = asObject(sc.capabilities);
  if (!asList(caps.drop).includes('ALL')) out.push(`${name} does not drop ALL capabilities`);
  const added = asList(caps.add).filter((a) => a !== 'NET_BIND_SERVICE');
  if (added.length > 0) out.push(`${name} adds capabilities ${added.join(', ')}`);
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${name} does not run as non-root`);
  if (sc.runAsUser === 0 || (sc.runAsUser === undefined && podSc.runAsUser === 0)) out.push(`${name} runs as uid 0`);
  const seccomp = asObject(sc.seccompProfile ?? podSc.seccompProfile).type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
    out.push(`${name} has no RuntimeDefault or Localhost seccomp profile`);
  if (asList(c.ports).some((p) => Number(asObject(p).hostPort ?? 0) !== 0)) out.push(`${name} uses a host port`);
  return out;
}

function podProblems(pod: Json): string[] {
  const out: string[] = [];
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC'] as const)
    if (pod[host] === true) out.push(`pod sets ${host}`);
  for (const v of asList(pod.volumes).map(asObject)) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !ALLOWED_VOLUMES.has(type)) out.push(`volume ${String(v.name ?? '?')} is of type ${type}`);
  }
  const containers = [...asList(pod.containers), ...asList(pod.initContainers), ...asList(pod.ephemeralContainers)];
  return out.concat(containers.flatMap((c) => containerProblems(asObject(c), pod)));
}

export const podSecurityRestricted: KubernetesRule = {
  id: 'pod-security-restricted',
  description: 'Namespaces enforce the restricted Pod Security profile and every pod spec meets it.',
  evaluate(objects) {
    const out: KubernetesFinding[] = [];
    for (const ns of ofKind(objects, 'Namespace')) {
      const labels = asObject(asObject(ns.object.metadata).labels);
      if (labels[ENFORCE] !== 'restricted') out.push({ object: ns, message: `does not label ${ENFORCE}=restricted` });
    }
    for (const o of objects) {
      const pod = podSpecOf(o);
      if (!pod) continue;
      const problems = podProblems(pod);
      if (problems.length > 0)
        out.push({ object: o, message: `breaks Pod Security restricted: ${problems.join('; ')}` });
    }
    return out;
  },
};

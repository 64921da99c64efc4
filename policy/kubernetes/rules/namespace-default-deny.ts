/**
 * Default deny: every namespace has a NetworkPolicy that selects all its pods for both ingress and
 * egress and allows nothing; every other policy of the namespace only opens named ports to named peers.
 */
import { asList, asObject, KubernetesFinding, KubernetesRule, nameOf, namespaceOf, ofKind } from './rule';

export const namespaceDefaultDeny: KubernetesRule = {
  id: 'namespace-default-deny',
  description: 'Every namespace denies all ingress and egress by default; allows name their ports and peers.',
  evaluate(objects) {
    const out: KubernetesFinding[] = [];
    const policies = ofKind(objects, 'NetworkPolicy');
    for (const ns of ofKind(objects, 'Namespace')) {
      const denies = policies.some((p) => {
        const spec = asObject(p.object.spec);
        const selectsAll = Object.keys(asObject(spec.podSelector)).length === 0;
        const types = asList(spec.policyTypes);
        return (
          namespaceOf(p) === nameOf(ns) &&
          selectsAll &&
          types.includes('Ingress') &&
          types.includes('Egress') &&
          asList(spec.ingress).length === 0 &&
          asList(spec.egress).length === 0
        );
      });
      if (!denies)
        out.push({ object: ns, message: 'has no default-deny NetworkPolicy (all pods, Ingress and Egress, no rules)' });
    }
    for (const p of policies) {
      const spec = asObject(p.object.spec);
      const rules = [...asList(spec.ingress), ...asList(spec.egress)].map(asObject);
      const open = rules.find((r) => asList(r.ports).length === 0 || asList(r.from ?? r.to).length === 0);
      if (open) out.push({ object: p, message: 'allows traffic without naming both ports and peers' });
    }
    return out;
  },
};

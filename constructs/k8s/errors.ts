/**
 * Thrown at synth time when a Kubernetes baseline construct is asked for something the baseline forbids
 * (a wildcard RBAC rule, a world-open CIDR, an invalid name). One line: where, what was given, what is allowed.
 */
export class K8sBaselineError extends Error {
  constructor(message: string) {
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'K8sBaselineError';
  }
}

import { ValidationError } from '../../core/validation-error';

/**
 * Thrown at synth time when a Kubernetes baseline construct is asked for something the baseline forbids
 * (a wildcard RBAC rule, a world-open CIDR, an invalid name). One line: where, what was given, what is allowed.
 */
export class K8sBaselineError extends ValidationError {}

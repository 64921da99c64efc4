import { ValidationError } from '../../core/validation-error';

/**
 * Thrown at synth time when a Kubernetes baseline construct is asked for something the baseline forbids
 * (a wildcard RBAC rule, a world-open CIDR, an invalid name). Thrown as `new K8sBaselineError(message, this)`:
 * one line, the construct path first, then what was given and what is allowed.
 */
export class K8sBaselineError extends ValidationError {}

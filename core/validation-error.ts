/**
 * The one synth-time validation error of the cdktf app (vocabulary, tier, Kubernetes baseline).
 * Thrown in a construct's constructor for an explicit contradiction; the message is one line and
 * says where (the construct path, when given), what was given and what is allowed, as aws-cdk's
 * `ValidationError` ties an error to its construct path. Subclasses name the rule family only.
 *
 * A construct throws `new ValidationError(message, this)`; a check that has no construct (a tier
 * description, a context value) passes a plain string naming what it checked, or nothing.
 */

/** Anything with a construct path: a construct, seen structurally so core/ never loads `constructs`. */
export interface ConstructLike {
  readonly node: { readonly path: string };
}

/** The path an error reports: a construct's path (`<app>` for the root), or the string given. */
function pathOf(scope: ConstructLike | string | undefined): string | undefined {
  if (scope === undefined || typeof scope === 'string') return scope;
  return scope.node.path || '<app>';
}

export class ValidationError extends Error {
  /** The construct path the error belongs to, when the thrower knows it. */
  readonly path?: string;

  constructor(message: string, scope?: ConstructLike | string) {
    const line = message.replace(/[\r\n]+/g, ' ');
    const path = pathOf(scope);
    super(path ? `${path}: ${line}` : line);
    this.name = new.target.name;
    this.path = path;
  }
}

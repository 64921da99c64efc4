/**
 * The one synth-time validation error of the cdktf app (vocabulary, tier, Kubernetes baseline).
 * Thrown in a construct's constructor for an explicit contradiction; the message is one line and
 * says where (the construct path, when given), what was given and what is allowed, as aws-cdk's
 * `ValidationError` ties an error to its construct path. Subclasses name the rule family only.
 */
export class ValidationError extends Error {
  /** The construct path the error belongs to, when the thrower knows it. */
  readonly path?: string;

  constructor(message: string, path?: string) {
    const line = message.replace(/[\r\n]+/g, ' ');
    super(path ? `${path}: ${line}` : line);
    this.name = new.target.name;
    this.path = path;
  }
}

/**
 * The policy pack at synth time: the SAME rules `kfm policy check --plan` applies, judged on each
 * stack's synthesized Terraform JSON (`stack.toTerraform()`) through the same normalised view.
 *
 * How it fails synth: the aspect adds a validation to every stack. cdktf runs validations after
 * ALL aspects (so tags added by other aspects are seen) and before writing cdk.tf.json; a
 * validation error aborts `app.synth()` with one line per error finding. An App built with
 * `skipValidation: true` would skip that, so the aspect then records an error annotation instead,
 * which also aborts synth (fail closed: the policy is never silently skipped).
 */
import { Annotations, App, Aspects, IAspect, TerraformDataSource, TerraformResource, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { checkPolicy } from '../policy/check';
import { installationFrom } from '../core/installation';
import { PolicyResult } from '../policy/engine/evaluate';
import { PolicyEnv } from '../policy/engine/rule';
import { SuppressionFile } from '../policy/engine/suppressions';

export interface PolicyAspectProps {
  /**
   * Environment the stack deploys to (enables the prod-only rules).
   * @default - from the stack name: `dev`, `stage`, `prod`, or a name ending in `-dev`, `-stage`, `-prod`; otherwise none
   */
  readonly env?: PolicyEnv;
  /**
   * The date suppression expiry is judged against.
   * @default - KFM_POLICY_NOW when set, else the wall clock
   */
  readonly now?: Date;
  /**
   * Suppressions in effect.
   * @default - the committed policy/config/suppressions.json
   */
  readonly suppressions?: SuppressionFile;
  /**
   * Called with each stack's result (to print or record the bundle digest).
   * @default - nothing is reported besides failures
   */
  readonly onResult?: (stackName: string, result: PolicyResult) => void;
}

/** `dev` / `stage` / `prod` from a stack name, or undefined. */
export function envFromStackName(name: string): PolicyEnv | undefined {
  const m = /(?:^|-)(dev|stage|prod)$/.exec(name);
  return m ? (m[1] as PolicyEnv) : undefined;
}

export class PolicyAspect implements IAspect {
  private readonly registered = new WeakSet<TerraformStack>();

  constructor(private readonly props: PolicyAspectProps = {}) {}

  public visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.registered.has(node)) return;
    this.registered.add(node);
    const app = node.node.scope;
    if (app && App.isApp(app) && app.skipValidation) {
      Annotations.of(node).addError(
        'kfm policy: the App skips validation, so the policy pack cannot run; remove skipValidation',
      );
      return;
    }
    node.node.addValidation({ validate: () => this.check(node) });
  }

  /** Judge one stack; returns one error line per error finding (empty when it passes). */
  public check(stack: TerraformStack): string[] {
    const name = stack.node.id;
    const nowText = process.env.KFM_POLICY_NOW;
    const result = checkPolicy({
      kind: 'synth',
      doc: stack.toTerraform(),
      origin: `stack ${name}`,
      env: this.props.env ?? envFromStackName(name),
      now: this.props.now ?? (nowText ? new Date(nowText) : new Date()),
      suppressions: this.props.suppressions,
      // The installation the stacks were built for (the App's context: the same reading stacks/aws.ts uses).
      installation: installationFrom((key) => stack.node.tryGetContext(key)),
    });
    this.props.onResult?.(name, result);
    for (const f of result.findings.filter((x) => x.severity !== 'error')) {
      Annotations.of(stack).addWarning(`kfm policy ${f.rule} ${f.address}: ${f.message}`);
    }
    if (result.verdict === 'pass') return [];
    const paths = constructPaths(stack);
    return result.findings
      .filter((f) => f.severity === 'error')
      .map((f) => {
        const path = paths.get(f.address);
        return `kfm policy ${f.rule} ${f.address}${path ? ` (${path})` : ''}: ${f.message} (fix: ${f.remediation}) [bundle ${result.bundle.digest}]`;
      });
  }
}

/** The construct path of each resource and data source of a stack, by its Terraform address. */
function constructPaths(stack: TerraformStack): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    if (c instanceof TerraformResource) out.set(`${c.terraformResourceType}.${c.friendlyUniqueId}`, c.node.path);
    else if (c instanceof TerraformDataSource)
      out.set(`data.${c.terraformResourceType}.${c.friendlyUniqueId}`, c.node.path);
  }
  return out;
}

/**
 * Add the policy aspect to every stack already in `app` (cdktf invokes aspects per stack, so an
 * aspect on the App itself would never run). Call it after building the stacks, before `app.synth()`.
 */
export function applyPolicy(app: App, props: PolicyAspectProps = {}): PolicyAspect {
  const aspect = new PolicyAspect(props);
  const stacks = app.node.children.filter((c): c is TerraformStack => TerraformStack.isStack(c));
  for (const s of stacks) Aspects.of(s).add(aspect);
  return aspect;
}

import { bundleOf, committedSuppressionFile, filesWithDeclarations } from './bundle';
import { evaluatePolicy, PolicyResult } from './engine/evaluate';
import { viewFromPlan } from './engine/from-plan';
import { viewFromSynth } from './engine/from-synth';
import { KFM_PACK } from './pack';
import { PolicyEnv } from './engine/rule';
import { SuppressionFile } from './engine/suppressions';
import { DeclarationsFile } from './engine/declarations';
import { Installation } from '../core/installation';

export interface CheckOptions {
  /** `synth`: a cdk.tf.json object; `plan`: `terraform show -json` output. */
  readonly kind: 'synth' | 'plan';
  /** The parsed JSON document. */
  readonly doc: unknown;
  /** File name or stack name, used in messages. */
  readonly origin: string;
  readonly env?: PolicyEnv;
  /** Decides suppression expiry; the caller owns the clock. */
  readonly now: Date;
  /**
   * Suppressions in effect (they are part of the bundle digest).
   * @default - the committed policy/config/suppressions.json
   */
  readonly suppressions?: SuppressionFile;
  /**
   * The installation judged: its name prefix and repository resolve the placeholders of
   * policy/config/external-resources.json (not part of the bundle digest: an input, like env).
   * @default - DEFAULT_INSTALLATION; the CLI reads cdktf.json, the Aspect the App's context
   */
  readonly installation?: Installation;
  /**
   * Declarations instead of the committed policy/config/external-resources.json; like suppressions,
   * they are part of the bundle digest, so the digest changes with them.
   * @default - the committed file
   */
  readonly declarations?: DeclarationsFile;
}

/**
 * Judge a synthesized stack or a plan with the KFM pack: the one entry point the CLI, the cdktf
 * Aspect and the receipt/gate code share. Throws ReceiptError (exit 2) on input that is not one.
 */
export function checkPolicy(opts: CheckOptions): PolicyResult {
  const input = opts.kind === 'synth' ? viewFromSynth(opts.doc, opts.origin) : viewFromPlan(opts.doc, opts.origin);
  const suppressions = opts.suppressions ?? committedSuppressionFile();
  return evaluatePolicy(input, {
    rules: KFM_PACK,
    suppressions,
    bundle: bundleOf(KFM_PACK, suppressions, filesWithDeclarations(opts.declarations?.doc)),
    now: opts.now,
    env: opts.env,
    installation: opts.installation,
    declarations: opts.declarations,
  });
}

/** One line per finding, for people: `ERROR rule address: message`. */
export function formatReport(result: PolicyResult): string {
  const lines = [
    `policy ${result.verdict}: bundle ${result.bundle.digest} (${result.bundle.rules} rules), ${result.evaluated} evaluated, ` +
      `${result.findings.length} finding(s), ${result.suppressed.length} suppressed`,
  ];
  for (const f of result.findings)
    lines.push(`${f.severity.toUpperCase()} ${f.rule} ${f.address}: ${f.message} (fix: ${f.remediation})`);
  for (const s of result.suppressed) {
    lines.push(
      `SUPPRESSED ${s.rule} ${s.address}: ${s.message} (owner ${s.suppression.owner}, expires ${s.suppression.expires}: ${s.suppression.reason})`,
    );
  }
  return lines.join('\n') + '\n';
}

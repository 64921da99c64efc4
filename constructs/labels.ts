/**
 * Labels: every taggable resource carries `policy_label` and `zone` from the controlled
 * vocabularies (core/vocabulary.ts). A construct declares the labels of everything under it
 * with `labelScope(this, ...)`; `KfmLabelAspect` then writes them into the `tags` of every taggable
 * resource below (explicit `tags`, not only provider `default_tags`, so a policy rule reading `tags`
 * in cdk.tf.json or `tags`/`tags_all` in plan JSON sees them on each resource).
 *
 * A taggable resource with no labelled ancestor, or a label outside the vocabulary, fails synth
 * with a one-line error naming the construct path.
 */
import { IAspect, TerraformResource } from 'cdktf';
import { IConstruct } from 'constructs';
import { assertPolicyLabel, assertZone, PolicyLabel, VocabularyError, Zone } from '../core/vocabulary';

export interface KfmLabels {
  /** Who may see what this scope holds (`policy_label` vocabulary; checked again at synth). */
  readonly policyLabel: PolicyLabel;
  /** Truth-path zone of what this scope holds or serves (`zone` vocabulary; checked again at synth). */
  readonly zone: Zone;
}

/** The resolved, vocabulary-checked labels. */
export interface CheckedLabels {
  readonly policyLabel: PolicyLabel;
  readonly zone: Zone;
}

const LABELS = new WeakMap<IConstruct, CheckedLabels>();

/** Checks `labels` against the vocabularies (throws a one-line VocabularyError) and attaches them to `scope`. */
export function labelScope(scope: IConstruct, labels: KfmLabels): CheckedLabels {
  const checked: CheckedLabels = {
    policyLabel: assertPolicyLabel(labels.policyLabel, scope),
    zone: assertZone(labels.zone, scope),
  };
  LABELS.set(scope, checked);
  return checked;
}

/** The labels of the nearest labelled scope at or above `node`, if any. */
export function labelsOf(node: IConstruct): CheckedLabels | undefined {
  const scopes = node.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const found = LABELS.get(scopes[i]);
    if (found) return found;
  }
  return undefined;
}

/** The tag map a labelled resource carries. */
export function labelTags(labels: CheckedLabels): Record<string, string> {
  return { policy_label: labels.policyLabel, zone: labels.zone };
}

/** True when the resource type has a `tags` argument (generated bindings expose `tagsInput`). */
export function isTaggable(node: IConstruct): node is TerraformResource & { tags: Record<string, string> | undefined } {
  return node instanceof TerraformResource && 'tagsInput' in node;
}

/** True for aws_autoscaling_group, which takes `tag` blocks instead of a `tags` map. */
function isAutoscalingGroup(node: IConstruct): node is TerraformResource & { putTag(v: unknown[]): void } {
  return node instanceof TerraformResource && node.terraformResourceType === 'aws_autoscaling_group';
}

/**
 * Writes `policy_label` and `zone` into every taggable resource. Tags a resource already sets are
 * kept, but a `policy_label` or `zone` it sets itself must be in the vocabulary too.
 */
export class KfmLabelAspect implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const asg = isAutoscalingGroup(node);
    if (!asg && !isTaggable(node)) return;
    const labels = labelsOf(node);
    if (!labels) {
      throw new VocabularyError(
        `${node.terraformResourceType} has no policy_label/zone; wrap it in a construct that calls labelScope()`,
        node,
      );
    }
    const tags = labelTags(labels);
    if (asg) {
      node.putTag(Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })));
      return;
    }
    // `tags` reads back as a token; `tagsInput` is what was set.
    const own = (node as unknown as { tagsInput?: Record<string, string> }).tagsInput ?? {};
    if (own.policy_label !== undefined) assertPolicyLabel(own.policy_label, node);
    if (own.zone !== undefined) assertZone(own.zone, node);
    (node as { tags: Record<string, string> }).tags = { ...tags, ...own };
  }
}

import { Leaf, ResourceView, mergeTags, tagLeaves, walk } from './view';

/** Who a resource is and what values it will have: what both readers (synth, plan) know alike. */
export interface ResourceFacts
  extends Pick<ResourceView, 'address' | 'configAddress' | 'mode' | 'type' | 'name' | 'providerKey' | 'modulePath'> {
  readonly values: Record<string, unknown>;
  /** @default - a single instance (synth never has keys) */
  readonly instanceKey?: string | number;
  /** Plan `after_unknown` of the resource. @default - none: in synth, expression strings are the unknowns */
  readonly unknownMarks?: Record<string, unknown>;
  /** The provider's `default_tags` (only managed resources get them). @default - none */
  readonly defaultTags?: Record<string, Leaf>;
  /** Tags the provider resolved (plan `tags_all` when known); they win over defaults + own tags. @default - none */
  readonly resolvedTags?: Record<string, Leaf>;
}

/**
 * What configuration says of one resource, as each reader reads it (synth: the values as written;
 * plan: `configuration` expressions). The two lists are asked for lazily: most rules never read them.
 */
export interface ConfigAnswers
  extends Pick<
    ResourceView,
    | 'references'
    | 'rawReferences'
    | 'rawConfig'
    | 'templateAt'
    | 'isConfigured'
    | 'isLiteral'
    | 'sources'
    | 'isSensitive'
    | 'iterationReferences'
  > {
  sensitivePaths(): readonly string[];
  configStrings(): readonly string[];
}

/** The one builder of a resource view, shared by the synth and the plan reader. */
export function resourceView(f: ResourceFacts, config: ConfigAnswers): ResourceView {
  const { values, unknownMarks } = f;
  let sensitivePaths: readonly string[] | undefined;
  let configStrings: readonly string[] | undefined;
  return {
    address: f.address,
    configAddress: f.configAddress,
    mode: f.mode,
    type: f.type,
    name: f.name,
    providerKey: f.providerKey,
    values,
    instanceKey: f.instanceKey,
    modulePath: f.modulePath,
    leaves: (path) => walk(values, unknownMarks, path.split('.')),
    tags:
      f.resolvedTags ??
      mergeTags(f.mode === 'managed' ? f.defaultTags : undefined, tagLeaves(values.tags, unknownMarks?.tags)),
    references: config.references,
    rawReferences: config.rawReferences,
    rawConfig: config.rawConfig,
    templateAt: config.templateAt,
    isConfigured: config.isConfigured,
    isLiteral: config.isLiteral,
    sources: config.sources,
    isSensitive: config.isSensitive,
    iterationReferences: config.iterationReferences,
    get sensitivePaths() {
      return (sensitivePaths ??= config.sensitivePaths());
    },
    get configStrings() {
      return (configStrings ??= config.configStrings());
    },
  };
}

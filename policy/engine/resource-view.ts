import { Leaf, Provisioner, ResourceView, Traversal, ValueSource, mergeTags, tagLeaves, walk } from './view';

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
  /**
   * Tags the provider resolved (plan `tags_all` when known), asked for the first time a rule reads
   * the tags; when it gives some, they win over defaults + own tags. One function for every
   * resource of a reader, given the resource's values and unknown marks. @default - none
   */
  readonly resolvedTags?: ResolvedTags;
  /** Provisioners as configured. @default - none */
  readonly provisioners?: readonly Provisioner[];
}

/** The tags a provider resolved for a resource, from its values and unknown marks; undefined when none. */
export type ResolvedTags = (
  values: Readonly<Record<string, unknown>>,
  unknownMarks: Readonly<Record<string, unknown>> | undefined,
  mode: 'managed' | 'data',
) => Record<string, Leaf> | undefined;

/**
 * What configuration says of one resource, as each reader reads it (synth: the values as written;
 * plan: `configuration` expressions). The two lists are asked for lazily: most rules never read them.
 */
export interface ConfigAnswers
  extends Pick<
    ResourceView,
    | 'references'
    | 'rawReferences'
    | 'traversalsAt'
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

type IdentityOf<T> = { -readonly [K in keyof T]: T[K] };
/** Assigned once, in the constructor; read-only to everyone else through ResourceView. */
type Identity = IdentityOf<
  Pick<
    ResourceView,
    | 'address'
    | 'configAddress'
    | 'mode'
    | 'type'
    | 'name'
    | 'providerKey'
    | 'values'
    | 'instanceKey'
    | 'modulePath'
    | 'iterationReferences'
    | 'provisioners'
  >
>;
// The identity members are declared once, by ResourceView; the class only assigns them.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
interface BuiltResourceView extends Identity {}
/**
 * A resource view: the facts, and the configuration answers of its reader. Methods on a prototype
 * and lists made on first read: a plan of 10,000 resources makes 10,000 of these, and most rules
 * read a few members of a few types.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
class BuiltResourceView implements ResourceView {
  // The few facts the lazy members need, not the facts object: every view lives as long as the check.
  readonly #unknownMarks?: Record<string, unknown>;
  readonly #defaultTags?: Record<string, Leaf>;
  readonly #resolvedTags?: ResolvedTags;
  readonly #config: ConfigAnswers;
  #tags?: Readonly<Record<string, Leaf>>;
  #sensitivePaths?: readonly string[];
  #configStrings?: readonly string[];

  constructor(f: ResourceFacts, config: ConfigAnswers) {
    this.address = f.address;
    this.configAddress = f.configAddress;
    this.mode = f.mode;
    this.type = f.type;
    this.name = f.name;
    this.providerKey = f.providerKey;
    this.values = f.values;
    this.instanceKey = f.instanceKey;
    this.modulePath = f.modulePath;
    this.iterationReferences = config.iterationReferences;
    this.provisioners = f.provisioners;
    this.#unknownMarks = f.unknownMarks;
    this.#defaultTags = f.defaultTags;
    this.#resolvedTags = f.resolvedTags;
    this.#config = config;
  }

  leaves(path: string): Leaf[] {
    return walk(this.values, this.#unknownMarks, pathSteps(path));
  }
  get tags(): Readonly<Record<string, Leaf>> {
    const marks = this.#unknownMarks;
    return (this.#tags ??=
      this.#resolvedTags?.(this.values, marks, this.mode) ??
      mergeTags(this.mode === 'managed' ? this.#defaultTags : undefined, tagLeaves(this.values.tags, marks?.tags)));
  }
  get sensitivePaths(): readonly string[] {
    return (this.#sensitivePaths ??= this.#config.sensitivePaths());
  }
  get configStrings(): readonly string[] {
    return (this.#configStrings ??= this.#config.configStrings());
  }
  references(attr: string): string[] {
    return this.#config.references(attr);
  }
  rawReferences(attr: string): readonly string[] {
    return this.#config.rawReferences(attr);
  }
  traversalsAt(path: string): readonly Traversal[] {
    return this.#config.traversalsAt(path);
  }
  rawConfig(attr: string): unknown {
    return this.#config.rawConfig(attr);
  }
  templateAt(path: string): unknown {
    return this.#config.templateAt(path);
  }
  isConfigured(attr: string): boolean {
    return this.#config.isConfigured(attr);
  }
  isLiteral(attr: string): boolean {
    return this.#config.isLiteral(attr);
  }
  sources(path: string): ValueSource[] {
    return this.#config.sources(path);
  }
  isSensitive(attr: string): boolean | undefined {
    return this.#config.isSensitive(attr);
  }
}

/** Dotted paths split once each: rules ask the same few paths of every resource. */
const STEPS = new Map<string, readonly string[]>();

function pathSteps(path: string): readonly string[] {
  let steps = STEPS.get(path);
  if (steps === undefined) {
    steps = path.split('.');
    if (STEPS.size < 10_000) STEPS.set(path, steps);
  }
  return steps;
}

/** The one builder of a resource view, shared by the synth and the plan reader. */
export function resourceView(f: ResourceFacts, config: ConfigAnswers): ResourceView {
  return new BuiltResourceView(f, config);
}

import { ReceiptError } from '../../core/errors';
import {
  Leaf,
  PolicyInput,
  ProviderView,
  ResourceView,
  isExpressionString,
  normaliseProviderSource,
  providerAddress,
  plainAt,
  rawReferencesIn,
  referenceListIn,
  referencesIn,
  sourcesOfSynthValue,
  stringsIn,
  tagLeaves,
  provisionersOf,
} from './view';
import { isObject } from '../../core/json';
import { resourceView } from './resource-view';

type Obj = Record<string, unknown>;

/** Meta-arguments: not attributes of the resource. */
const META = new Set(['//', 'provider', 'depends_on', 'lifecycle', 'count', 'for_each', 'connection', 'provisioner']);

/** Drop cdktf's `//` metadata keys at any depth. */
function stripMeta(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripMeta);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (k !== '//') out[k] = stripMeta(x);
  return out;
}

function blocksOf(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.filter(isObject);
  return isObject(v) ? [v] : [];
}

/** Refuse what is not a cdk.tf.json, naming `origin` and the field. */
function checkSynthDocument(doc: unknown, origin: string): asserts doc is Obj {
  if (!isObject(doc))
    throw new ReceiptError('INPUT_INVALID', `${origin}: top level is not a JSON object; expected a cdk.tf.json`);
  if ('format_version' in doc || 'planned_values' in doc) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${origin}: has "format_version"/"planned_values", this is plan JSON; use --plan instead of --synth`,
    );
  }
  if (!('resource' in doc) && !('terraform' in doc) && !('provider' in doc)) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${origin}: no "resource", "terraform" or "provider" key; expected a cdk.tf.json from cdktf synth`,
    );
  }
  for (const key of ['resource', 'data', 'provider', 'terraform'] as const) {
    if (key in doc && !isObject(doc[key])) {
      throw new ReceiptError('INPUT_INVALID', `${origin}: field "${key}" is not an object`);
    }
  }
}

/** Provider blocks (in document order) and the `default_tags` each gives its resources. */
function readSynthProviders(
  doc: Obj,
  reading: Pick<SynthReading, 'sensitiveVariable' | 'literalDefault'>,
): { providers: ProviderView[]; defaultTags: Map<string, Record<string, Leaf>> } {
  const terraform = (doc.terraform ?? {}) as Obj;
  const required = isObject(terraform.required_providers) ? terraform.required_providers : {};
  const providers: ProviderView[] = [];
  const defaultTags = new Map<string, Record<string, Leaf>>();
  for (const [local, raw] of Object.entries((doc.provider ?? {}) as Obj)) {
    const req = required[local];
    const source = isObject(req) && typeof req.source === 'string' ? req.source : undefined;
    const full = normaliseProviderSource(source, local);
    for (const block of blocksOf(raw)) {
      const cfg = stripMeta(block) as Obj;
      const alias = typeof cfg.alias === 'string' ? cfg.alias : undefined;
      const key = alias ? `${local}.${alias}` : local;
      providers.push({
        address: providerAddress(full, alias),
        key,
        literalAttributes: Object.keys(cfg)
          .filter((k) => cfg[k] !== null && cfg[k] !== undefined && isLiteralValue(cfg[k]))
          .sort(),
        literalStrings: literalStringsIn(cfg),
        sources: (attr) => sourcesOfSynthValue(cfg[attr], reading.sensitiveVariable, reading.literalDefault),
      });
      const dt = blocksOf(cfg.default_tags)[0];
      const tl = dt ? tagLeaves(dt.tags, undefined) : undefined;
      if (tl) defaultTags.set(key, tl);
    }
  }
  return { providers, defaultTags };
}

const isLiteralValue = (v: unknown): boolean => stringsIn(v).every((s) => !isExpressionString(s));
const literalStringsIn = (v: unknown): string[] => stringsIn(v).filter((s) => !isExpressionString(s));

/** What a synth document declares around its resources: provider default tags, sensitive variables. */
interface SynthReading {
  readonly defaultTags: Map<string, Record<string, Leaf>>;
  readonly sensitiveVariable: (name: string) => boolean;
  readonly literalDefault: (name: string) => boolean;
}

/** The view of one synthesized resource: configuration is the value, as written. */
function synthResource(
  reading: SynthReading,
  mode: 'managed' | 'data',
  type: string,
  name: string,
  body: Obj,
): ResourceView {
  const clean = stripMeta(body) as Obj;
  const values: Obj = {};
  for (const [k, v] of Object.entries(clean)) if (!META.has(k)) values[k] = v;
  const providerKey = typeof clean.provider === 'string' ? clean.provider : type.split('_')[0];
  const address = mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
  const { defaultTags, sensitiveVariable, literalDefault } = reading;
  return resourceView(
    {
      address,
      configAddress: address,
      mode,
      type,
      name,
      providerKey,
      values,
      modulePath: '',
      defaultTags: defaultTags.get(providerKey),
      provisioners: provisionersOf(clean.provisioner, false),
    },
    {
      references: (attr) => referencesIn(values[attr]),
      rawConfig: (attr) => values[attr],
      isConfigured: (attr) => values[attr] !== undefined && values[attr] !== null,
      isLiteral: (attr) => values[attr] !== undefined && values[attr] !== null && isLiteralValue(values[attr]),
      templateAt: (path) => plainAt(values, path.split('.')),
      rawReferences: (attr) => rawReferencesIn(values[attr]),
      traversalsAt: (path) => referenceListIn(plainAt(values, path.split('.'))).map((ref) => ({ ref, up: 0 })),
      iterationReferences: rawReferencesIn([clean.for_each, clean.count]),
      isSensitive: () => undefined,
      sources: (path) => sourcesOfSynthValue(plainAt(values, path.split('.')), sensitiveVariable, literalDefault),
      sensitivePaths: () => [],
      configStrings: () => literalStringsIn(values),
    },
  );
}

/** The resources of one section (`resource` or `data`), refusing a type or body that is not an object. */
function synthSection(
  reading: SynthReading,
  section: unknown,
  mode: 'managed' | 'data',
  origin: string,
): ResourceView[] {
  const field = mode === 'managed' ? 'resource' : 'data';
  const out: ResourceView[] = [];
  for (const [type, byName] of Object.entries((section ?? {}) as Obj)) {
    if (type === '//') continue;
    if (!isObject(byName))
      throw new ReceiptError('INPUT_INVALID', `${origin}: field "${field}.${type}" is not an object`);
    for (const [name, body] of Object.entries(byName)) {
      if (name === '//') continue;
      if (!isObject(body))
        throw new ReceiptError('INPUT_INVALID', `${origin}: field "${field}.${type}.${name}" is not an object`);
      out.push(synthResource(reading, mode, type, name, body));
    }
  }
  return out;
}

/**
 * Build the view from synthesized Terraform JSON (`cdktf.out/stacks/<stack>/cdk.tf.json`, or
 * `stack.toTerraform()`). Throws INPUT_INVALID naming `origin` and the field when it is not one.
 */
export function viewFromSynth(doc: unknown, origin: string): PolicyInput {
  checkSynthDocument(doc, origin);
  const variables = isObject(doc.variable) ? doc.variable : {};
  const sensitiveVariable = (n: string): boolean => isObject(variables[n]) && variables[n].sensitive === true;
  const literalDefault = (n: string): boolean =>
    isObject(variables[n]) && variables[n].default !== undefined && variables[n].default !== null;
  const { providers, defaultTags } = readSynthProviders(doc, { sensitiveVariable, literalDefault });
  const reading = { defaultTags, sensitiveVariable, literalDefault };
  const resources = [
    ...synthSection(reading, doc.resource, 'managed', origin),
    ...synthSection(reading, doc.data, 'data', origin),
  ].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  // Variable defaults and output values (resources are scanned per resource by the rules).
  const loose: unknown[] = [];
  for (const v of Object.values(variables)) if (isObject(v)) loose.push(v.default);
  for (const o of Object.values(isObject(doc.output) ? doc.output : {})) if (isObject(o)) loose.push(o.value);
  return { source: 'synth', origin, resources, providers, literalStrings: literalStringsIn(stripMeta(loose)) };
}

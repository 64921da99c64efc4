import { ReceiptError } from '../../core/errors';
import {
  Leaf,
  PolicyInput,
  ProviderView,
  ResourceView,
  isExpressionString,
  mergeTags,
  normaliseProviderSource,
  providerAddress,
  plainAt,
  rawReferencesIn,
  referencesIn,
  sourcesOfSynthValue,
  stringsIn,
  tagLeaves,
  walk,
} from './view';
import { isObject } from '../../core/json';

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

/**
 * Build the view from synthesized Terraform JSON (`cdktf.out/stacks/<stack>/cdk.tf.json`, or
 * `stack.toTerraform()`). Throws INPUT_INVALID naming `origin` and the field when it is not one.
 */
export function viewFromSynth(doc: unknown, origin: string): PolicyInput {
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
  const terraform = (doc.terraform ?? {}) as Record<string, unknown>;
  const required = isObject(terraform.required_providers) ? terraform.required_providers : {};

  // Providers.
  const providers: ProviderView[] = [];
  const defaultTags = new Map<string, Record<string, Leaf>>();
  for (const [local, raw] of Object.entries((doc.provider ?? {}) as Record<string, unknown>)) {
    const req = required[local];
    const source = isObject(req) && typeof req.source === 'string' ? req.source : undefined;
    const full = normaliseProviderSource(source, local);
    for (const block of blocksOf(raw)) {
      const cfg = stripMeta(block) as Record<string, unknown>;
      const alias = typeof cfg.alias === 'string' ? cfg.alias : undefined;
      const key = alias ? `${local}.${alias}` : local;
      providers.push({
        address: providerAddress(full, alias),
        key,
        literalAttributes: Object.keys(cfg)
          .filter(
            (k) => cfg[k] !== null && cfg[k] !== undefined && stringsIn(cfg[k]).every((s) => !isExpressionString(s)),
          )
          .sort(),
        literalStrings: stringsIn(cfg).filter((s) => !isExpressionString(s)),
      });
      const dt = blocksOf(cfg.default_tags)[0];
      const tl = dt ? tagLeaves(dt.tags, undefined) : undefined;
      if (tl) defaultTags.set(key, tl);
    }
  }

  const variables = isObject(doc.variable) ? doc.variable : {};
  const sensitiveVariable = (n: string): boolean => isObject(variables[n]) && variables[n].sensitive === true;
  const resources: ResourceView[] = [];
  const collect = (section: unknown, mode: 'managed' | 'data', field: string): void => {
    if (section === undefined) return;
    for (const [type, byName] of Object.entries(section as Record<string, unknown>)) {
      if (type === '//') continue;
      if (!isObject(byName))
        throw new ReceiptError('INPUT_INVALID', `${origin}: field "${field}.${type}" is not an object`);
      for (const [name, body] of Object.entries(byName)) {
        if (name === '//') continue;
        if (!isObject(body)) {
          throw new ReceiptError('INPUT_INVALID', `${origin}: field "${field}.${type}.${name}" is not an object`);
        }
        const clean = stripMeta(body) as Record<string, unknown>;
        const values: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(clean)) if (!META.has(k)) values[k] = v;
        const providerKey = typeof clean.provider === 'string' ? clean.provider : type.split('_')[0];
        const address = mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
        const ownTags = tagLeaves(values.tags, undefined);
        resources.push({
          address,
          configAddress: address,
          mode,
          type,
          name,
          providerKey,
          values,
          leaves: (path) => walk(values, undefined, path.split('.')),
          references: (attr) => referencesIn(values[attr]),
          rawConfig: (attr) => values[attr],
          isConfigured: (attr) => values[attr] !== undefined && values[attr] !== null,
          isLiteral: (attr) =>
            values[attr] !== undefined &&
            values[attr] !== null &&
            stringsIn(values[attr]).every((s) => !isExpressionString(s)),
          tags: mergeTags(mode === 'managed' ? defaultTags.get(providerKey) : undefined, ownTags),
          modulePath: '',
          templateAt: (path) => plainAt(values, path.split('.')),
          rawReferences: (attr) => rawReferencesIn(values[attr]),
          iterationReferences: rawReferencesIn([clean.for_each, clean.count]),
          isSensitive: () => undefined,
          sources: (path) => sourcesOfSynthValue(plainAt(values, path.split('.')), sensitiveVariable),
          sensitivePaths: [],
          configStrings: stringsIn(values).filter((s) => !isExpressionString(s)),
        });
      }
    }
  };
  collect(doc.resource, 'managed', 'resource');
  collect(doc.data, 'data', 'data');
  resources.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));

  // Variable defaults and output values (resources are scanned per resource by the rules).
  const loose: unknown[] = [];
  for (const v of Object.values(isObject(doc.variable) ? doc.variable : {})) if (isObject(v)) loose.push(v.default);
  for (const o of Object.values(isObject(doc.output) ? doc.output : {})) if (isObject(o)) loose.push(o.value);
  const literalStrings = stringsIn(stripMeta(loose)).filter((s) => !isExpressionString(s));
  return { source: 'synth', origin, resources, providers, literalStrings };
}

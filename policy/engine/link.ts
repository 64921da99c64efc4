import { instanceAddress, ResourceView } from './view';

/**
 * Per-instance links between resources. An ancillary resource (a bucket's versioning, a security
 * group rule, a node group) is tied to the ONE instance its argument names: by the resolved value
 * when the plan knows it, else by the reference Terraform recorded, resolved per instance
 * (`aws_s3_bucket.n[1]`, `aws_s3_bucket.f[each.key]`, `each.value` over `for_each = aws_s3_bucket.f`).
 * A reference is never widened by stripping its index: an argument that may name several
 * instances (a conditional, a splat, a local) links to none and is reported as unlinkable.
 */
export type Link =
  | { readonly kind: 'target'; readonly target: ResourceView }
  /** The resolved value names something outside this configuration. */
  | { readonly kind: 'external' }
  /** The argument is not set at all. */
  | { readonly kind: 'absent' }
  | { readonly kind: 'unlinkable'; readonly why: string };

const REF = /^((?:data|ephemeral)\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(\[("(?:[^"\\]|\\.)*"|\d+)\])?/;
const NOT_RESOURCES = new Set(['var', 'local', 'each', 'count', 'path', 'terraform', 'self', 'module']);

interface Ref {
  readonly base: string;
  readonly key?: string | number;
}

/** parseRef by reference text: a plan repeats the same few (`aws_s3_bucket.b.id`) per instance. */
const PARSED = new Map<string, Ref | undefined>();

function parseRef(ref: string): Ref | undefined {
  if (PARSED.has(ref)) return PARSED.get(ref);
  const p = parseRefText(ref);
  if (PARSED.size < 100_000) PARSED.set(ref, p);
  return p;
}

function parseRefText(ref: string): Ref | undefined {
  const m = REF.exec(ref);
  if (!m || m[1] === 'ephemeral.' || (!m[1] && NOT_RESOURCES.has(m[2]))) return undefined;
  const base = `${m[1] ?? ''}${m[2]}.${m[3]}`;
  if (m[5] === undefined) return { base };
  return { base, key: m[5].startsWith('"') ? (JSON.parse(m[5]) as string) : Number(m[5]) };
}

/** What `referenced` reads of a reference list, apart from the instance. */
interface ReadRefs {
  readonly perInstance: boolean;
  readonly explicit: ReadonlyMap<string, ReadonlySet<string | number>>;
  readonly bare: ReadonlySet<string>;
  readonly eachValue: boolean;
}

/** By reference list: the instances of one configuration resource share theirs (from-plan.ts). */
const READ = new WeakMap<readonly string[], ReadRefs>();

const NONE: ReadRefs = { perInstance: false, explicit: new Map(), bare: new Set(), eachValue: false };

function readRefs(refs: readonly string[]): ReadRefs {
  if (refs.length === 0) return NONE;
  const known = READ.get(refs);
  if (known) return known;
  const explicit = new Map<string, Set<string | number>>();
  const bare = new Set<string>();
  for (const raw of refs) {
    const p = parseRef(raw);
    if (!p) continue;
    if (p.key !== undefined) {
      const set = explicit.get(p.base) ?? new Set();
      set.add(p.key);
      explicit.set(p.base, set);
    } else bare.add(p.base);
  }
  const read: ReadRefs = {
    perInstance: refs.includes('each.key') || refs.includes('count.index'),
    explicit,
    bare,
    eachValue: refs.some((x) => x === 'each.value' || x.startsWith('each.value.') || x.startsWith('each.value[')),
  };
  READ.set(refs, read);
  return read;
}

export class Linker {
  private readonly byAddress = new Map<string, ResourceView>();
  /** Instances by resource block: one view for a block of one instance (most), a list for more. */
  private readonly byBase = new Map<string, ResourceView | ResourceView[]>();

  constructor(resources: readonly ResourceView[]) {
    for (const r of resources) {
      this.byAddress.set(r.address, r);
      const made = r.modulePath + (r.mode === 'data' ? 'data.' : '') + r.type + '.' + r.name;
      // A single instance's block is its address: keep that string, not a copy of it per resource.
      const base = made === r.address ? r.address : made;
      const held = this.byBase.get(base);
      if (held === undefined) this.byBase.set(base, r);
      else if (Array.isArray(held)) held.push(r);
      else this.byBase.set(base, [held, r]);
    }
  }

  private readonly valueIndex = new Map<string, Map<string, ResourceView[]>>();

  /** Managed resources of `types` by the known string value of any of `keyAttrs` (built once). */
  private byKnownValue(types: readonly string[], keyAttrs: readonly string[]): Map<string, ResourceView[]> {
    const key = `${types.join(',')}\u0000${keyAttrs.join(',')}`;
    let index = this.valueIndex.get(key);
    if (index) return index;
    index = new Map();
    for (const t of this.byAddress.values()) {
      if (t.mode !== 'managed' || !types.includes(t.type)) continue;
      const values = new Set<string>();
      for (const k of keyAttrs) {
        const l = t.leaves(k)[0];
        if (l && !l.unknown && typeof l.value === 'string') values.add(l.value);
      }
      for (const v of values) index.set(v, [...(index.get(v) ?? []), t]);
    }
    this.valueIndex.set(key, index);
    return index;
  }

  /** The resource with this address (an instance address, module keys and instance key included). */
  resource(address: string): ResourceView | undefined {
    return this.byAddress.get(address);
  }

  /** All instances of a resource block (`aws_s3_bucket.b` in module path `module.m["a"].`). */
  instancesOf(modulePath: string, base: string): ResourceView[] {
    const held = this.byBase.get(modulePath + base);
    return held === undefined ? [] : Array.isArray(held) ? held : [held];
  }

  /**
   * The instances an attribute's references name, resolved per instance of `r`. Several results mean
   * the configuration may pick any of them (a conditional, a splat); none means no resource reference.
   */
  referenced(r: ResourceView, attr: string, types?: readonly string[]): ResourceView[] {
    const refs = r.rawReferences(attr);
    if (refs.length === 0) return [];
    const { perInstance, explicit, bare, eachValue } = readRefs(refs);
    // `each.value` over `for_each = aws_x.y` is the instance of aws_x.y with this instance's key.
    const viaEachValue = new Set<string>();
    if (eachValue) {
      for (const raw of r.iterationReferences) {
        const p = parseRef(raw);
        if (p && p.key === undefined) viaEachValue.add(p.base);
      }
    }
    const out = new Map<string, ResourceView>();
    const add = (v: ResourceView | undefined): void => {
      if (v && (!types || types.includes(v.type))) out.set(v.address, v);
    };
    for (const [base, keys] of explicit) {
      for (const k of keys) add(this.byAddress.get(instanceAddress(r.modulePath + base, k)));
    }
    for (const base of viaEachValue.size === 0 ? bare : new Set([...bare, ...viaEachValue])) {
      if (explicit.has(base)) continue; // Terraform lists `x[0]` and `x` for one reference
      const all = this.instancesOf(r.modulePath, base);
      const single = all.length === 1 && all[0].instanceKey === undefined;
      if (single) add(all[0]);
      else if ((perInstance || viaEachValue.has(base)) && r.instanceKey !== undefined)
        add(this.byAddress.get(instanceAddress(r.modulePath + base, r.instanceKey)));
      else all.forEach(add);
    }
    if (out.size === 1) return [...out.values()];
    return [...out.values()].sort((a, b) => (a.address < b.address ? -1 : 1));
  }

  /** Links made, by (attribute, target types, key attributes), then by ancillary. */
  private readonly links = new Map<string, Map<ResourceView, Link>>();

  /**
   * The one target of `types` an ancillary's `attr` names (see Link). Made once per ancillary and
   * question: several rules ask it of the same ancillary (a bucket's controls: three of them).
   */
  link(anc: ResourceView, attr: string, types: readonly string[], keyAttrs: readonly string[]): Link {
    const question = `${attr}\u0000${types.join(',')}\u0000${keyAttrs.join(',')}`;
    let made = this.links.get(question);
    if (made === undefined) this.links.set(question, (made = new Map()));
    let l = made.get(anc);
    if (l === undefined) made.set(anc, (l = this.linkOnce(anc, attr, types, keyAttrs)));
    return l;
  }

  private linkOnce(anc: ResourceView, attr: string, types: readonly string[], keyAttrs: readonly string[]): Link {
    const leaves = anc.leaves(attr);
    if (leaves.length === 0 && !anc.isConfigured(attr)) return { kind: 'absent' };
    const leaf = leaves[0];
    if (leaf && !leaf.unknown && typeof leaf.value === 'string') {
      const hits = this.byKnownValue(types, keyAttrs).get(leaf.value) ?? [];
      if (hits.length === 1) return { kind: 'target', target: hits[0] };
      if (hits.length > 1)
        return { kind: 'unlinkable', why: `${attr} names ${hits.length} resources of this configuration` };
    }
    const refs = this.referenced(anc, attr, types);
    // A known value no resource here carries: unless a reference says otherwise, it is outside.
    if (refs.length === 0 && leaf && !leaf.unknown && typeof leaf.value === 'string') return { kind: 'external' };
    if (refs.length === 1) return { kind: 'target', target: refs[0] };
    if (refs.length > 1)
      return { kind: 'unlinkable', why: `${attr} may name any of ${refs.map((r) => r.address).join(', ')}` };
    return {
      kind: 'unlinkable',
      why: `${attr} is unknown at this stage and names no resource directly (through a local or a computed value)`,
    };
  }
}

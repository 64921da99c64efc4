import { ReceiptError } from '../../core/errors';
import { isObject, parseJsonNoEcho } from '../../core/json';

/**
 * Construct paths of a synthesized stack (`cdk.tf.json`): cdktf writes each resource's path in
 * its `//` metadata (`"//": {"metadata": {"path": "dev/CatalogZone/ReaderRole", ...}}`). Only
 * that string is read; no attribute value of the file is. Keys are the Terraform address without
 * an index: `aws_iam_role.CatalogZone_ReaderRole_D059CA46`, `data.aws_caller_identity.Current`.
 */
export type ConstructPaths = ReadonlyMap<string, string>;

export function parseConstructPaths(bytes: Buffer, source: string): ConstructPaths {
  const doc = parseJsonNoEcho(bytes.toString('utf8'), source, 'synthesized stack JSON', 'INPUT_INVALID');
  if (!isObject(doc))
    throw new ReceiptError('INPUT_INVALID', `${source}: not a synthesized stack (top level is not an object)`);
  const paths = new Map<string, string>();
  for (const [section, prefix] of [
    ['resource', ''],
    ['data', 'data.'],
  ] as const) {
    const blocks = doc[section];
    if (blocks === undefined) continue;
    if (!isObject(blocks)) throw new ReceiptError('INPUT_INVALID', `${source}: field "${section}" is not an object`);
    for (const type of Object.keys(blocks)) {
      const byName = blocks[type];
      if (!isObject(byName)) continue;
      for (const name of Object.keys(byName)) {
        const r = byName[name];
        const meta = isObject(r) && isObject(r['//']) ? r['//'].metadata : undefined;
        const path = isObject(meta) ? meta.path : undefined;
        if (typeof path === 'string' && path.length > 0) paths.set(`${prefix}${type}.${name}`, path);
      }
    }
  }
  return paths;
}

/** The construct path of a root-module address (`aws_s3_bucket.b["k"]` → by `aws_s3_bucket.b`). */
export function constructPathOf(paths: ConstructPaths | undefined, address: string): string | undefined {
  if (!paths || paths.size === 0 || address.startsWith('module.')) return undefined;
  const m = /^((?:data\.)?[^.[\]]+\.[^.[\]]+)/.exec(address);
  return m ? paths.get(m[1]!) : undefined;
}

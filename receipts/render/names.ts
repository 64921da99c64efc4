import { constructPathOf, ConstructPaths } from './construct-paths';
import { mdCode } from './escape';

/** cdktf's logical-id suffix: `_` and 8 upper-case hex digits (a hash of the construct path). */
const CDKTF_HASH = /_[0-9A-F]{8}$/;

/**
 * The name a reviewer reads for a resource: its construct path without the stack segment
 * (`CatalogZone/ReaderRole`, plus the instance key of a `count`/`for_each` address), when the
 * synthesized stack recorded one; else the Terraform address with cdktf's hash suffix dropped
 * (`aws_s3_bucket.CatalogZone_Bucket`). The signed receipt keeps the exact address.
 */
export function displayName(paths: ConstructPaths | undefined, address: string): string {
  const cp = constructPathOf(paths, address);
  const key = /^(?:data\.)?[^.[\]]+\.[^.[\]]+(\[.*\])$/.exec(address)?.[1] ?? '';
  if (cp) return cp.split('/').slice(1).join('/') + key || cp + key;
  return stripHash(address);
}

/** An address without cdktf's `_ABCDEF12` suffix on its resource name (module addresses as they are). */
export function stripHash(address: string): string {
  const m = /^((?:data\.)?[^.[\]]+\.)([^.[\]]+)(\[.*\])?$/.exec(address);
  if (!m) return address;
  return m[1]! + m[2]!.replace(CDKTF_HASH, '') + (m[3] ?? '');
}

/** The name cell: the display name in code, escaped. */
export const nameCell = (paths: ConstructPaths | undefined, address: string): string =>
  mdCode(displayName(paths, address));

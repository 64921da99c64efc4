/**
 * CIDR arithmetic for "reachable from anywhere": IPv4 and IPv6 in any notation AWS accepts
 * (`0.0.0.0/0`, `::/0`, `::0/0`, `0:0::/0`, host bits set), and unions of ranges, so that
 * `0.0.0.0/1` + `128.0.0.0/1` counts as the whole space.
 */
export interface CidrRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(s: string): bigint | undefined {
  let text = s.toLowerCase();
  let tail: bigint[] = [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = parseV4(v4[1]);
    if (n === undefined) return undefined;
    tail = [n >> 16n, n & 0xffffn];
    text = text.slice(0, -v4[1].length) + (text.endsWith(':' + v4[1]) ? '' : '');
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 && known !== 8) return undefined;
  if (halves.length === 2 && known > 7) return undefined;
  const groups = [...head, ...Array(8 - known).fill(0n), ...rest, ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parse `addr/len` (or a bare address: a single host). Undefined when it is not a CIDR. */
export function parseCidr(text: string): CidrRange | undefined {
  const s = text.trim();
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const family: 4 | 6 = addr.includes(':') ? 6 : 4;
  const n = family === 4 ? parseV4(addr) : parseV6(addr);
  if (n === undefined) return undefined;
  const bits = BITS[family];
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const first = (n >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/** True when the ranges of one family together cover its whole address space. */
export function coversWholeSpace(ranges: readonly CidrRange[], family: 4 | 6): boolean {
  const rs = ranges
    .filter((r) => r.family === family)
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const end = (1n << BigInt(BITS[family])) - 1n;
  let next = 0n;
  for (const r of rs) {
    if (r.first > next) return false;
    if (r.last + 1n > next) next = r.last + 1n;
    if (next > end) return true;
  }
  return false;
}

/** The families whose whole space the CIDR strings cover (with the strings that could not be parsed). */
export function anywhere(cidrs: readonly string[]): { families: Array<4 | 6>; invalid: string[] } {
  const ranges: CidrRange[] = [];
  const invalid: string[] = [];
  for (const c of cidrs) {
    const r = parseCidr(c);
    if (r) ranges.push(r);
    else invalid.push(c);
  }
  return { families: ([4, 6] as const).filter((f) => coversWholeSpace(ranges, f)), invalid };
}

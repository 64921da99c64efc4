/**
 * CIDR arithmetic for "reachable from the internet": IPv4 and IPv6 in any notation AWS accepts
 * (`0.0.0.0/0`, `::/0`, `::0/0`, `0:0::/0`, host bits set). A range is public when it reaches any
 * internet-routable address (`publicReach`), so `0.0.0.0/1`, `2000::/3` or a list of every routable
 * block count as much as the literal whole space.
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

/** parseCidr by text: a plan repeats the same few blocks (`10.0.0.0/16`) in every group. */
const PARSED = new Map<string, CidrRange | undefined>();

/** Parse `addr/len` (or a bare address: a single host). Undefined when it is not a CIDR. */
export function parseCidr(text: string): CidrRange | undefined {
  let r = PARSED.get(text);
  if (r === undefined && !PARSED.has(text)) {
    r = parseCidrText(text);
    if (PARSED.size < 100_000) PARSED.set(text, r);
  }
  return r;
}

function parseCidrText(text: string): CidrRange | undefined {
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

/**
 * The internet: every address a host on the internet can have. IPv4 is the whole space without the
 * private and special-purpose blocks of the IANA registry (RFC 6890: this network, RFC 1918, shared
 * CGNAT space, loopback, link local, IETF protocol assignments, documentation, benchmarking,
 * multicast and reserved); IPv6 is global unicast (2000::/3) and the NAT64 prefix (64:ff9b::/96, which
 * carries every IPv4 address) without the documentation and benchmarking blocks.
 */
const INTERNET: Record<4 | 6, { within: readonly string[]; except: readonly string[] }> = {
  4: {
    within: ['0.0.0.0/0'],
    except: [
      '0.0.0.0/8',
      '10.0.0.0/8',
      '100.64.0.0/10',
      '127.0.0.0/8',
      '169.254.0.0/16',
      '172.16.0.0/12',
      '192.0.0.0/24',
      '192.0.2.0/24',
      '192.168.0.0/16',
      '198.18.0.0/15',
      '198.51.100.0/24',
      '203.0.113.0/24',
      '224.0.0.0/4',
      '240.0.0.0/4',
    ],
  },
  6: { within: ['2000::/3', '64:ff9b::/96'], except: ['2001:db8::/32', '2001:2::/48', '3fff::/20'] },
};

/** INTERNET parsed, the exceptions in address order: once, not per range judged. */
let parsed: Record<4 | 6, { within: CidrRange[]; except: CidrRange[] }> | undefined;

function parsedInternet(f: 4 | 6): { within: CidrRange[]; except: CidrRange[] } {
  parsed ??= {
    4: parseInternet(4),
    6: parseInternet(6),
  };
  return parsed[f];
}

function parseInternet(f: 4 | 6): { within: CidrRange[]; except: CidrRange[] } {
  const ranges = (cidrs: readonly string[]): CidrRange[] => cidrs.map((c) => parseCidrText(c) as CidrRange);
  return {
    within: ranges(INTERNET[f].within),
    except: ranges(INTERNET[f].except).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0)),
  };
}

/** True when some address of `r` is on the internet (not wholly inside private or reserved blocks). */
function reachesInternet(r: CidrRange): boolean {
  const { within, except } = parsedInternet(r.family);
  for (const w of within) {
    const first = r.first > w.first ? r.first : w.first;
    const last = r.last < w.last ? r.last : w.last;
    if (first > last) continue;
    // The exceptions overlapping [first, last], in address order, cover it from `first` up to `next`.
    let next = first;
    for (const e of except) {
      if (e.last < first || e.first > last) continue;
      if (e.first > next) break;
      if (e.last + 1n > next) next = e.last + 1n;
    }
    if (next <= last) return true;
  }
  return false;
}

/**
 * THE meaning of "public" for every network rule: the families (IPv4/IPv6) in which the CIDR strings
 * reach any internet-routable address — not only the literal whole space: `0.0.0.0/1`, `2000::/3`, a
 * list of every routable block or a single public host all count; private and reserved blocks do not.
 * Strings that are not CIDRs are returned as `invalid` (callers fail closed on them).
 */
export function publicReach(cidrs: readonly string[]): { families: Array<4 | 6>; invalid: string[] } {
  const families = new Set<4 | 6>();
  const invalid: string[] = [];
  for (const c of cidrs) {
    const r = parseCidr(c);
    if (!r) invalid.push(c);
    else if (reachesInternet(r)) families.add(r.family);
  }
  return { families: ([4, 6] as const).filter((f) => families.has(f)), invalid };
}

/** The parts of `ranges` not covered by `minus` (same family), as ranges. */
export function subtractRanges(ranges: readonly CidrRange[], minus: readonly CidrRange[]): CidrRange[] {
  let out = [...ranges];
  for (const m of minus) {
    out = out.flatMap((r) => {
      if (r.family !== m.family || m.last < r.first || m.first > r.last) return [r];
      const parts: CidrRange[] = [];
      if (m.first > r.first) parts.push({ family: r.family, first: r.first, last: m.first - 1n });
      if (m.last < r.last) parts.push({ family: r.family, first: m.last + 1n, last: r.last });
      return parts;
    });
  }
  return out;
}

/** `publicReach` of parsed ranges (after subtracting, e.g. the ranges an earlier NACL deny shadows). */
export function publicFamiliesOf(ranges: readonly CidrRange[]): Array<4 | 6> {
  return ([4, 6] as const).filter((f) => ranges.some((r) => r.family === f && reachesInternet(r)));
}

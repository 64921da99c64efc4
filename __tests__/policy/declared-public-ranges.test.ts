/**
 * Trusted public ranges (issue 26, round 5): a partner's published range is declared, with a reason,
 * under `publicCidrs` in the declarations file (reviewed like code, in the bundle digest). The whole
 * internet, or a share of it wider than a /8 of IPv4 or a /16 of IPv6, is refused with one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPolicy } from '../../policy/check';
import { currentBundle } from '../../policy/bundle';
import { declarationsFor } from '../../policy/engine/declarations';
import committed from '../../policy/config/external-resources.json';
import { FIXTURES, kfm } from './helpers';

const NOW = new Date('2025-06-01T00:00:00Z');
const REASON = "partner's published webhook range";
const withRanges = (ranges: Record<string, unknown>): unknown => ({ ...committed, publicCidrs: ranges });
const load = (ranges: Record<string, unknown>) =>
  declarationsFor(undefined, { doc: withRanges(ranges), origin: 'decl.json' });

/** The corpus pair of this class: ingress from a declared range and from a wider, undeclared one. */
const CASES = join(FIXTURES, 'corpus');
const planOf = (prefix: string): { dir: string; doc: unknown } => {
  const manifest = JSON.parse(readFileSync(join(CASES, 'cases.json'), 'utf8')) as { cases: Array<{ name: string }> };
  const name = manifest.cases.find((c) => c.name.startsWith(prefix))!.name;
  return { dir: join(CASES, name), doc: JSON.parse(readFileSync(join(CASES, name, 'plan.json'), 'utf8')) };
};

describe('declared public ranges', () => {
  it.each([
    ['0.0.0.0/0', 'covers /0'],
    ['::/0', 'covers /0'],
    ['0.0.0.0/1', 'covers /1'],
    ['2000::/3', 'covers /3'],
    ['52.0.0.0/7', 'covers /7'],
    ['2600::/12', 'covers /12'],
  ])('refuses %s, a share of the internet no partner publishes', (cidr, says) => {
    expect(() => load({ [cidr]: { reason: REASON } })).toThrow(
      new RegExp(`^decl\\.json: publicCidrs "${cidr.replace(/[.*/]/g, '\\$&')}" ${says}, more of the internet`),
    );
  });

  it('refuses a private range (it needs no declaration), a non-CIDR and a missing reason', () => {
    expect(() => load({ '10.0.0.0/8': { reason: REASON } })).toThrow(/"10\.0\.0\.0\/8" is not internet-routable/);
    expect(() => load({ 'partner.example': { reason: REASON } })).toThrow(/"partner\.example" is not a CIDR/);
    expect(() => load({ '192.30.252.0/22': { reason: 'ok' } })).toThrow(/reason must say why/);
  });

  it('accepts a partner range up to a /8 of IPv4 or a /16 of IPv6', () => {
    expect(
      load({ '192.30.252.0/22': { reason: REASON }, '2606:4700::/16': { reason: REASON } }).trustedCidrs,
    ).toHaveLength(2);
    expect(load({ '3.0.0.0/8': { reason: REASON } }).trustedCidrs).toHaveLength(1);
  });

  it('the committed file declares none', () => {
    expect(declarationsFor().trustedCidrs).toEqual([]);
  });

  it('passes ingress from the declared range and fails the wider range around it', () => {
    const ok = planOf('123-ok-');
    const bad = planOf('123-bad-');
    const declarations = {
      doc: JSON.parse(readFileSync(join(ok.dir, 'external-resources.json'), 'utf8')) as unknown,
      origin: 'external-resources.json',
    };
    const judge = (doc: unknown, d?: typeof declarations) =>
      checkPolicy({ kind: 'plan', doc, origin: 'plan.json', env: 'prod', now: NOW, declarations: d }).findings.filter(
        (f) => f.rule === 'no-ingress-from-anywhere',
      );
    expect(judge(ok.doc, declarations)).toEqual([]);
    expect(judge(bad.doc, declarations).map((f) => f.address)).toEqual(['aws_security_group.g']);
    // Without the declaration the partner range is public like any other.
    expect(judge(ok.doc).map((f) => f.address)).toEqual(['aws_security_group.g']);
  });

  it('judges under other declarations with another bundle digest', () => {
    const ok = planOf('123-ok-');
    const r = checkPolicy({
      kind: 'plan',
      doc: ok.doc,
      origin: 'plan.json',
      now: NOW,
      declarations: { doc: withRanges({ '192.30.252.0/22': { reason: REASON } }), origin: 'decl.json' },
    });
    expect(r.bundle.digest).not.toBe(currentBundle().digest);
  });

  it('kfm policy check --declarations refuses 0.0.0.0/0 with one line naming the file and entry, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfm-declared-ranges-'));
    const file = join(dir, 'decl.json');
    writeFileSync(file, JSON.stringify(withRanges({ '0.0.0.0/0': { reason: REASON } })));
    const r = kfm(['policy', 'check', '--plan', join(planOf('123-ok-').dir, 'plan.json'), '--declarations', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}: publicCidrs "0.0.0.0/0" covers /0`);
  });
});

import { createHash } from 'node:crypto';
import {
  consistencyRanges,
  EMPTY_ROOT,
  hashRanges,
  inclusionRanges,
  leafHash,
  MerkleFrontier,
  RangeHasher,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../ledger/merkle';

// RFC 6962 reference inputs and roots, as used by the certificate-transparency test suites.
const INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const leaves = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

function flipped(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[0] ^= 1;
  return c;
}

describe('RFC 6962 Merkle tree', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(createHash('sha256').digest('hex'));
    expect(new MerkleFrontier().root().equals(EMPTY_ROOT)).toBe(true);
  });

  it('matches the known-answer roots for the reference inputs (recursive and streaming)', () => {
    const ls = INPUTS.map((h) => leafHash(Buffer.from(h, 'hex')));
    const f = new MerkleFrontier();
    for (let n = 1; n <= ls.length; n++) {
      f.push(ls[n - 1]);
      expect(rootOfLeafHashes(ls.slice(0, n)).toString('hex')).toBe(ROOTS[n - 1]);
      expect(f.root().toString('hex')).toBe(ROOTS[n - 1]);
    }
  });

  it('verifies every inclusion proof for every leaf of trees up to 40, and rejects tampered ones', () => {
    const ls = leaves(40);
    for (let n = 1; n <= 40; n++) {
      const root = rootOfLeafHashes(ls.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = hashRanges(ls, inclusionRanges(i, n));
        expect(verifyInclusion(i, n, ls[i], proof, root)).toBe(true);
        expect(verifyInclusion(i, n, flipped(ls[i]), proof, root)).toBe(false);
        expect(verifyInclusion(i, n, ls[i], proof, flipped(root))).toBe(false);
        if (proof.length > 0) {
          expect(verifyInclusion(i, n, ls[i], proof.slice(1), root)).toBe(false);
          expect(verifyInclusion(i, n, ls[i], [...proof, proof[0]], root)).toBe(false);
          for (let k = 0; k < proof.length; k++) {
            const bad = proof.map((p, j) => (j === k ? flipped(p) : p));
            expect(verifyInclusion(i, n, ls[i], bad, root)).toBe(false);
          }
        }
        if (n > 1)
          expect(verifyInclusion((i + 1) % n, n, ls[i], proof, root)).toBe(i + 1 < n && ls[i].equals(ls[(i + 1) % n]));
        expect(verifyInclusion(i, i, ls[i], proof, root)).toBe(false); // index outside the tree
      }
    }
  });

  it('verifies every consistency proof for all 1 ≤ m ≤ n ≤ 40, and rejects tampered ones', () => {
    const ls = leaves(40);
    const roots = [EMPTY_ROOT, ...Array.from({ length: 40 }, (_, i) => rootOfLeafHashes(ls.slice(0, i + 1)))];
    let checked = 0;
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = hashRanges(ls, consistencyRanges(m, n));
        expect(verifyConsistency(m, n, roots[m], roots[n], proof)).toBe(true);
        checked++;
        if (m === n) {
          expect(proof).toHaveLength(0);
          expect(verifyConsistency(m, n, flipped(roots[m]), roots[n], proof)).toBe(false);
          continue;
        }
        expect(verifyConsistency(m, n, flipped(roots[m]), roots[n], proof)).toBe(false);
        expect(verifyConsistency(m, n, roots[m], flipped(roots[n]), proof)).toBe(false);
        expect(verifyConsistency(m, n, roots[m], roots[n], proof.slice(0, -1))).toBe(false);
        expect(verifyConsistency(m, n, roots[m], roots[n], [...proof, proof[0]])).toBe(false);
        for (let k = 0; k < proof.length; k++) {
          const bad = proof.map((p, j) => (j === k ? flipped(p) : p));
          expect(verifyConsistency(m, n, roots[m], roots[n], bad)).toBe(false);
        }
        // A proof for other sizes does not pass as this one.
        if (m + 1 < n) expect(verifyConsistency(m + 1, n, roots[m + 1], roots[n], proof)).toBe(false);
        // A rewritten old tree (one leaf changed) is not consistent.
        const forged = ls.slice(0, n).map((l, i) => (i === m - 1 ? flipped(l) : l));
        expect(
          verifyConsistency(m, n, roots[m], rootOfLeafHashes(forged), hashRanges(forged, consistencyRanges(m, n))),
        ).toBe(false);
      }
    }
    expect(checked).toBe(820);
  });

  it('computes proof hashes in one streaming pass that equal the in-memory ones', () => {
    const ls = leaves(37);
    const ranges = [...consistencyRanges(13, 37), ...inclusionRanges(20, 37)];
    const h = new RangeHasher(ranges);
    for (const l of ls) h.push(l);
    expect(h.hashes().map((b) => b.toString('hex'))).toEqual(hashRanges(ls, ranges).map((b) => b.toString('hex')));
  });
});

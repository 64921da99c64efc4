/*
 * Modules of one verb load when that verb runs: `kfm receipt plan` on a 10,000-change plan is
 * timed against a bare read + hash + parse, and never needs the stream reader or the renderers.
 * The signing side (keys, provenance, commitments, the statement builder and signer) loads after
 * `receipt plan` and `receipt drift` have read and parsed the plan: a process that allocates a
 * megabyte before its first garbage collection has V8 size its old generation for that small heap,
 * and then pays a full mark-compact during the parse of a large plan (about 25 ms on the bench's
 * 20 MB plan; `npm run bench receipts` counts them).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const keys = (): typeof import('../../lib/keys') => require('../../lib/keys');
export const ed25519 = (): typeof import('../../../attest/sign/ed25519') => require('../../../attest/sign/ed25519');
export const commitments = (): typeof import('../../../receipts/redact/commitment') =>
  require('../../../receipts/redact/commitment');
export const provenance = (): typeof import('../../../receipts/provenance') => require('../../../receipts/provenance');
export const statements = (): typeof import('../../../attest/statement') => require('../../../attest/statement');
export const planReceipt = (): typeof import('../../../receipts/plan/build-plan-receipt') =>
  require('../../../receipts/plan/build-plan-receipt');
export const applyStream = (): typeof import('../../../terraform/apply-stream') =>
  require('../../../terraform/apply-stream');
export const applyReceipt = (): typeof import('../../../receipts/apply/build-apply-receipt') =>
  require('../../../receipts/apply/build-apply-receipt');
export const driftReceipt = (): typeof import('../../../receipts/drift/build-drift-receipt') =>
  require('../../../receipts/drift/build-drift-receipt');
export const policyInput = (): typeof import('../../../receipts/plan/policy-input') =>
  require('../../../receipts/plan/policy-input');
export const constructPathsOf = (): typeof import('../../../receipts/render/construct-paths') =>
  require('../../../receipts/render/construct-paths');
export const renderJsonOf = (): typeof import('../../../receipts/render/json') =>
  require('../../../receipts/render/json');
export const markdown = (): typeof import('../../../receipts/render/markdown') =>
  require('../../../receipts/render/markdown');
/* eslint-enable @typescript-eslint/no-require-imports */
/* eslint-disable @typescript-eslint/no-require-imports */
export const prComment = (): typeof import('../../../receipts/render/pr-comment') =>
  require('../../../receipts/render/pr-comment');
/** The policy pack's exposure view: `receipt plan` records its facts, `receipt comment` reads older receipts' plans. */
export const exposureView = (): typeof import('../../../policy/engine/exposure') =>
  require('../../../policy/engine/exposure');
export const findingsOf = (): typeof import('../../../receipts/render/findings') =>
  require('../../../receipts/render/findings');
/* eslint-enable @typescript-eslint/no-require-imports */

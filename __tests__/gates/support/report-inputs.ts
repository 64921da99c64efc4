/**
 * A report's input with something of everything (two proven tiers, a prod plan and its approval,
 * witnessed and unwitnessed checkpoints, long addresses, a plan receipt carrying exposure
 * changes), judged by the real gates: for the layout test and the screenshots in docs/.
 */
import { PREDICATE_TYPES } from '../../../attest/predicate-types';
import { decodeStatementPayload, parseEnvelope, verifyEnvelope } from '../../../attest/dsse/envelope';
import { sha256Tagged } from '../../../core/digest';
import { classifyEntries, Evidence } from '../../../gates/evidence';
import { reportInputOf } from '../../../gates/report';
import { ReportInput } from '../../../gates/report-html';
import { ci, Ledger, rawSign, Rec, reviewer, templates } from './evidence';

/** An approval, two proven tiers, witnessed checkpoints and a plan receipt carrying exposure changes. */
export function richInput(): ReportInput {
  const l = new Ledger();
  l.provenTier('dev');
  l.provenTier('stage');
  l.approve(l.plan('prod'));
  const { evidence, rejected } = classifyEntries(l.entries, [ci.trusted, reviewer.trusted], {
    roles: { receiptSigners: new Set([ci.trusted.keyid]), approvers: new Map([[reviewer.trusted.keyid, 'reviewer']]) },
    approvalType: PREDICATE_TYPES.approval,
  });
  return reportInputOf({
    store: 's3://kfm-audit-ledger-prod-0123456789ab/ledger/with/a/long/prefix',
    evidence: [...evidence, exposureEvidence(l.entries.length + 1)],
    rejected,
    ledger: {
      ok: true,
      size: l.entries.length + 1,
      root: 'n8Qq0aMZr1pDqX9vW0b1cT7r2yLk3eJm4uHs5gFi6dA=',
      problems: [],
      checkpoints: [
        {
          source: 'stored checkpoint 12',
          size: 12,
          ok: true,
          witnessed: true,
          cosigners: ['witness-a.example', 'witness-b.example'],
        },
        { source: 'checkpoints/given-by-the-auditor.txt', size: l.entries.length + 1, ok: true, witnessed: false },
      ],
    },
  });
}

/**
 * A plan receipt with `exposure` (receipts/render/exposure.ts's ExposureChange[]), signed here
 * with the CI test key and verified as the gates verify: the field other work adds to receipts.
 */
export const EXPOSURE = [
  {
    address: 'module.network.aws_security_group_rule.ssh_from_the_corporate_network_to_the_bastion_hosts',
    type: 'aws_security_group_rule',
    removed: [],
    added: ['ingress tcp 22 from 10.0.0.0/8'],
  },
  {
    address: 'aws_s3_bucket_policy.catalog_reader_access["arn:aws:iam::210987654321:role/catalog-reader"]',
    type: 'aws_s3_bucket_policy',
    removed: ['principal 123456789012'],
    added: ['principal 123456789012', 'principal 210987654321 (cross-account)'],
  },
  {
    address: 'aws_s3_bucket_server_side_encryption_configuration.raw',
    type: 'aws_s3_bucket_server_side_encryption_configuration',
    removed: ['encryption aws:kms'],
    added: [],
  },
];
function exposureEvidence(seq: number): Evidence {
  const predicate: Rec = { ...templates.plan, env: 'dev', exposure: EXPOSURE };
  const bytes = rawSign(PREDICATE_TYPES.plan, predicate, ci.signing).bytes;
  const env = parseEnvelope(bytes.toString('utf8'), 'exposure receipt');
  const key = verifyEnvelope(env, [ci.trusted], 'exposure receipt');
  const st = decodeStatementPayload(env, 'exposure receipt');
  return {
    seq,
    digest: sha256Tagged(bytes),
    predicateType: String(st.predicateType),
    predicate: st.predicate as Rec,
    subject: st.subject as Evidence['subject'],
    signer: key.keyid,
  };
}

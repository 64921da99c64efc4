/**
 * AuditLogBucket: the audit stack's log bucket. Every tier delivers here by name (no cross-stack
 * reference): S3 server access logs (`s3-access/<tier>/`), VPC flow logs (`flow-logs/<tier>/`),
 * load-balancer access logs (`alb/<tier>/`) and CloudTrail (`cloudtrail/<tier>/`). Each delivery
 * service may write only its own prefix, only for sources named with the KFM prefix.
 *
 * SSE-S3, not SSE-KMS: S3 server access logging and ALB logs cannot deliver to an SSE-KMS bucket.
 * Log delivery sends no encryption header, so only a put asking for another algorithm is refused
 * (the bucket's default encryption covers the rest). Logs move to cold storage and are kept.
 */
import { Construct } from 'constructs';
import {
  DataAwsIamPolicyDocumentStatementCondition as PolicyCondition,
  DataAwsIamPolicyDocumentStatementPrincipals as PolicyPrincipal,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { SecureBucket } from './secure-bucket';
import { ValidationError } from '../core/validation-error';

/** Elastic Load Balancing's log-delivery account per region (AWS docs, "Enable access logs"). */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-2': '797873946194',
};

export interface AuditLogBucketProps {
  /** Name of the log bucket (constructs/naming.ts `auditLogBucketName`). */
  readonly bucketName: string;
  /** Name prefix of the sources allowed to deliver (buckets and trails named `<prefix>-*`). */
  readonly namePrefix: string;
  /** Region of the stack; picks the load balancer log-delivery account (ELB_LOG_ACCOUNTS). */
  readonly region: string;
  /**
   * `prevent_destroy` on the bucket.
   * @default true
   */
  readonly protect?: boolean;
}

export class AuditLogBucket extends Construct {
  readonly store: SecureBucket;

  constructor(scope: Construct, id: string, props: AuditLogBucketProps) {
    super(scope, id);
    const elbAccount = elbLogAccount(props.region, this);
    const store = (this.store = new SecureBucket(this, 'Store', {
      bucketName: props.bucketName,
      requireEncryptionHeader: false,
      protect: props.protect ?? true,
    }));
    const arn = store.arn;
    const ownerFullControl = { test: 'StringEquals', variable: 's3:x-amz-acl', values: ['bucket-owner-full-control'] };
    const sourceArn = (pattern: string) => ({ test: 'ArnLike', variable: 'aws:SourceArn', values: [pattern] });
    const deliver = (sid: string, principal: PolicyPrincipal, prefix: string, condition?: PolicyCondition[]) =>
      store.addToPolicy({
        sid,
        effect: 'Allow',
        principals: [principal],
        actions: ['s3:PutObject'],
        resources: [store.objectsArn(prefix)],
        ...(condition ? { condition } : {}),
      });
    const service = (...identifiers: string[]): PolicyPrincipal => ({ type: 'Service', identifiers });
    deliver('S3ServerAccessLogs', service('logging.s3.amazonaws.com'), 's3-access', [
      sourceArn(`arn:aws:s3:::${props.namePrefix}-*`),
    ]);
    store.addToPolicy({
      sid: 'LogDeliveryAclCheck',
      effect: 'Allow',
      principals: [service('delivery.logs.amazonaws.com', 'cloudtrail.amazonaws.com')],
      actions: ['s3:GetBucketAcl', 's3:ListBucket'],
      resources: [arn],
    });
    deliver('FlowLogDelivery', service('delivery.logs.amazonaws.com'), 'flow-logs', [ownerFullControl]);
    deliver('CloudTrailDelivery', service('cloudtrail.amazonaws.com'), 'cloudtrail', [
      ownerFullControl,
      sourceArn(`arn:aws:cloudtrail:*:*:trail/${props.namePrefix}-*`),
    ]);
    deliver('LoadBalancerLogs', { type: 'AWS', identifiers: [`arn:aws:iam::${elbAccount}:root`] }, 'alb');
    store.addDenyToEveryone({
      sid: 'DenyLogDeletion',
      actions: ['s3:DeleteObjectVersion', 's3:DeleteBucket'],
      resources: [arn, store.objectsArn('')],
    });
    store.addColdStorageRule({
      id: 'logs-to-cold-storage',
      transition: [
        { days: 30, storageClass: 'STANDARD_IA' },
        { days: 90, storageClass: 'GLACIER' },
      ],
    });
  }
}

/** The load balancer log-delivery account of `region`; a region not in ELB_LOG_ACCOUNTS fails synth. */
function elbLogAccount(region: string, scope: Construct): string {
  const account = ELB_LOG_ACCOUNTS[region];
  if (!account) {
    throw new ValidationError(
      `region is ${region}, which has no known ELB log-delivery account (known: ${Object.keys(ELB_LOG_ACCOUNTS).join(', ')}); add it to ELB_LOG_ACCOUNTS`,
      scope,
    );
  }
  return account;
}

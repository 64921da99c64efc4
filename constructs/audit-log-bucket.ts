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
import { SecureBucket } from './secure-bucket';

/** Elastic Load Balancing's log-delivery account per region (AWS docs, "Enable access logs"). */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-2': '797873946194',
};

export interface AuditLogBucketProps {
  readonly bucketName: string;
  readonly namePrefix: string;
  readonly region: string;
  /** @default true */
  readonly protect?: boolean;
}

export class AuditLogBucket extends Construct {
  readonly store: SecureBucket;

  constructor(scope: Construct, id: string, props: AuditLogBucketProps) {
    super(scope, id);
    const elbAccount = ELB_LOG_ACCOUNTS[props.region];
    if (!elbAccount) {
      throw new Error(
        `${this.node.path}: no ELB log-delivery account known for region ${props.region}; add it to ELB_LOG_ACCOUNTS`,
      );
    }
    const store = (this.store = new SecureBucket(this, 'Store', {
      bucketName: props.bucketName,
      requireEncryptionHeader: false,
      protect: props.protect ?? true,
    }));
    const arn = store.arn;
    const ownerFullControl = { test: 'StringEquals', variable: 's3:x-amz-acl', values: ['bucket-owner-full-control'] };
    store.addToPolicy({
      sid: 'S3ServerAccessLogs',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
      actions: ['s3:PutObject'],
      resources: [`${arn}/s3-access/*`],
      condition: [{ test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:aws:s3:::${props.namePrefix}-*`] }],
    });
    store.addToPolicy({
      sid: 'LogDeliveryAclCheck',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com', 'cloudtrail.amazonaws.com'] }],
      actions: ['s3:GetBucketAcl', 's3:ListBucket'],
      resources: [arn],
    });
    store.addToPolicy({
      sid: 'FlowLogDelivery',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }],
      actions: ['s3:PutObject'],
      resources: [`${arn}/flow-logs/*`],
      condition: [ownerFullControl],
    });
    store.addToPolicy({
      sid: 'CloudTrailDelivery',
      effect: 'Allow',
      principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
      actions: ['s3:PutObject'],
      resources: [`${arn}/cloudtrail/*`],
      condition: [
        ownerFullControl,
        { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:aws:cloudtrail:*:*:trail/${props.namePrefix}-*`] },
      ],
    });
    store.addToPolicy({
      sid: 'LoadBalancerLogs',
      effect: 'Allow',
      principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${elbAccount}:root`] }],
      actions: ['s3:PutObject'],
      resources: [`${arn}/alb/*`],
    });
    store.addToPolicy({
      sid: 'DenyLogDeletion',
      effect: 'Deny',
      principals: [{ type: '*', identifiers: ['*'] }],
      actions: ['s3:DeleteObjectVersion', 's3:DeleteBucket'],
      resources: [arn, `${arn}/*`],
    });
    store.addLifecycleRule({
      id: 'logs-to-cold-storage',
      status: 'Enabled',
      filter: [{}],
      transition: [
        { days: 30, storageClass: 'STANDARD_IA' },
        { days: 90, storageClass: 'GLACIER' },
      ],
    });
  }
}

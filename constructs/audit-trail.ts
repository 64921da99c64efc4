/**
 * AuditTrail: CloudTrail for a tier (stage, prod): management events in every region, S3 data
 * events on the tier bucket, log file validation, delivered to the audit stack's log bucket under
 * `cloudtrail/<tier>/`.
 */
import { Cloudtrail } from '@cdktf/provider-aws/lib/cloudtrail';
import { Construct } from 'constructs';

export interface AuditTrailProps {
  readonly trailName: string;
  /** The audit stack's log bucket (by name). */
  readonly logBucketName: string;
  /** Prefix in the log bucket, `cloudtrail/<tier>`. */
  readonly keyPrefix: string;
  /** ARN of the bucket whose object-level events are recorded. */
  readonly dataBucketArn: string;
}

export class AuditTrail extends Construct {
  readonly trail: Cloudtrail;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.trail = new Cloudtrail(this, 'Trail', {
      name: props.trailName,
      s3BucketName: props.logBucketName,
      s3KeyPrefix: props.keyPrefix,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      eventSelector: [
        {
          readWriteType: 'All',
          includeManagementEvents: true,
          dataResource: [{ type: 'AWS::S3::Object', values: [`${props.dataBucketArn}/`] }],
        },
      ],
    });
  }
}

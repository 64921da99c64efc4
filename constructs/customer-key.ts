/**
 * CustomerKey: a customer-managed KMS key with yearly automatic rotation and an alias. Used for
 * prod data at rest (bucket SSE-KMS, RDS storage and its managed master secret, EBS) and for the
 * audit receipts bucket.
 */
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';

export interface CustomerKeyProps {
  /** Alias without the `alias/` prefix, e.g. `kfm-prod-data`. */
  readonly alias: string;
  /** What the key protects. */
  readonly description: string;
  /**
   * `prevent_destroy` on the key.
   * @default false
   */
  readonly protect?: boolean;
  /**
   * Days KMS waits before deleting the key once deletion is scheduled.
   * @default 30 (the maximum)
   */
  readonly deletionWindowDays?: number;
}

export class CustomerKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, props: CustomerKeyProps) {
    super(scope, id);
    this.key = new KmsKey(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      ...(props.protect ? { lifecycle: { preventDestroy: true } } : {}),
    });
    this.alias = new KmsAlias(this, 'Alias', { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }
}

/**
 * A cdktf app whose stack `dev` holds a bucket tagged with a policy_label outside the vocabulary
 * (and none of the controls the pack asks of a bucket): run by `cdktf synth --app` in
 * synth-violations.test.ts, as a developer's `npx cdktf synth` would run main.ts.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { applyPolicy } from '../../../constructs/policy-aspect';
import { synthOrFail } from '../../../constructs/synth-errors';

synthOrFail(() => {
  const app = new App();
  const stack = new TerraformStack(app, 'dev');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const zone = new Construct(stack, 'RawZone');
  new S3Bucket(zone, 'Bucket', { bucket: 'kfm-raw', tags: { policy_label: 'top-secret', zone: 'raw' } });
  applyPolicy(app, { now: new Date('2025-06-01T00:00:00Z') });
  return app;
});

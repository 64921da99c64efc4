/**
 * A cdktf app whose synth the policy pack fails, as a pull request's would: run as a process
 * (`tsx failing-synth-app.ts OUTDIR`) so its real output (one line per violation) can be
 * fed to `kfm receipt comment --synth-log`. Stack `prod` holds a public, unencrypted bucket.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { applyPolicy } from '../../../constructs/policy-aspect';
import { synthOrFail } from '../../../constructs/synth-errors';

// As main.ts fails: one line per violation (constructs/synth-errors.ts).
synthOrFail(() => {
  const app = new App({ outdir: process.argv[2] });
  const stack = new TerraformStack(app, 'prod');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const zone = new Construct(stack, 'RawZone');
  new S3Bucket(zone, 'Bucket', { bucket: 'kfm-raw', tags: { policy_label: 'restricted', zone: 'raw' } });
  applyPolicy(app, { now: new Date('2025-06-01T00:00:00Z') });
  return app;
});

/**
 * The cdktf app: builds one stack per environment and concern, nothing else.
 *   dev, stage, prod              AWS tiers (stacks/aws.ts)
 *   audit                         the append-only audit bucket receipts go to (stacks/aws.ts)
 *   k8s-dev, k8s-stage, k8s-prod  Kubernetes baseline (stacks/k8s.ts)
 * The policy pack runs on every stack's synthesized JSON: a violating synth fails with one line
 * per violation and exit code 1 (constructs/synth-errors.ts).
 */
import { App } from 'cdktf';
import { applyPolicy } from './constructs/policy-aspect';
import { buildAwsStacks } from './stacks/aws';
import { buildKubernetesStacks } from './stacks/k8s';
import { synthOrFail } from './constructs/synth-errors';

synthOrFail(() => {
  const app = new App();
  buildAwsStacks(app);
  buildKubernetesStacks(app);
  applyPolicy(app);
  return app;
});

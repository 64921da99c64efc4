/**
 * The cdktf app: builds one stack per environment and concern, nothing else.
 *   dev, stage, prod           AWS tiers (stacks/aws.ts)
 *   audit                      the append-only audit bucket receipts go to (stacks/aws.ts)
 *   k8s-dev, k8s-stage, k8s-prod  Kubernetes baseline (stacks/k8s.ts)
 */
import { App } from 'cdktf';
import { buildAwsStacks } from './stacks/aws';
import { buildKubernetesStacks } from './stacks/k8s';

const app = new App();
buildAwsStacks(app);
buildKubernetesStacks(app);
app.synth();

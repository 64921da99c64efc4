/**
 * The AWS stacks: `dev`, `stage`, `prod` (one TierStack each, from constructs/tier.ts), `audit` and
 * `bootstrap` (state bucket, GitHub OIDC provider and the workflows' roles: stacks/bootstrap.ts).
 *
 * Context keys (cdktf.json "context" or CDKTF_CONTEXT_JSON), all optional:
 *   kfm:namePrefix            globally unique name prefix (default "kfm")
 *   kfm:region                region (default us-east-1; tier AZs are <region><azSuffix>: <region>a, <region>b)
 *   kfm:repository            owner/name of the GitHub repository whose workflows the roles and the
 *                             ledger appender trust (kfm:ciRepository, its older name, when unset)
 *   kfm:replicaRegion         second region canonical stores replicate to (default us-west-2)
 *   kfm:accountId             the AWS account: the GitHub OIDC provider's ARN (created by bootstrap)
 *   kfm:prodIngressValidated  the documented switch: true only after stage validation; needs
 *   kfm:prodIngressCidrs      (list) the admitted source ranges (never 0.0.0.0/0 or ::/0) and
 *   kfm:prodCertificateArn    the ACM certificate of the HTTPS listener
 * Environment:
 *   KFM_OFFLINE=1             provider skip_* flags (plan with no network or cloud account)
 *   KFM_PROD_ROLLBACK=1       prod rollback variant: ingress off, compute removed, data and logs kept
 */
import { App } from 'cdktf';
import { checkNamePrefix, DEFAULT_REGION } from '../constructs/naming';
import { DEFAULT_REPOSITORY, installationFrom } from '../core/installation';
import { Tier, TIERS } from '../constructs/tier';
import { TIER_NAMES, TierName } from '../core/vocabulary';
import { AuditStack } from './audit-stack';
import { BootstrapStack, bootstrapPropsFrom } from './bootstrap';
import { TierStack } from './tier-stack';

export const AWS_STACK_NAMES = ['dev', 'stage', 'prod', 'audit'] as const;
export type AwsStackName = (typeof AWS_STACK_NAMES)[number];

/** The repository when kfm:repository is unset (core/installation.ts owns the default). */
export const DEFAULT_CI_REPOSITORY = DEFAULT_REPOSITORY;

export interface AwsStacksOptions {
  /**
   * Globally unique name prefix of every resource.
   * @default - `kfm:namePrefix` context, else DEFAULT_NAME_PREFIX
   */
  readonly namePrefix?: string;
  /**
   * Region every stack deploys to.
   * @default - `kfm:region` context, else DEFAULT_REGION
   */
  readonly region?: string;
  /**
   * Replace a tier description (tests).
   * @default - TIERS
   */
  readonly tiers?: Partial<Record<TierName, Tier>>;
  /**
   * Build prod's rollback variant (ingress off, compute removed, data and logs kept).
   * @default - process.env.KFM_PROD_ROLLBACK === '1'
   */
  readonly prodRollback?: boolean;
  /**
   * Plan with no network (provider skip_* flags).
   * @default - process.env.KFM_OFFLINE === '1'
   */
  readonly offline?: boolean;
}

export interface AwsStacks {
  readonly dev: TierStack;
  readonly stage: TierStack;
  readonly prod: TierStack;
  readonly audit: AuditStack;
  readonly bootstrap: BootstrapStack;
}

function context<T>(app: App, key: string): T | undefined {
  const v = app.node.tryGetContext(key);
  return v === undefined || v === null ? undefined : (v as T);
}

function prodSwitch(app: App, tier: Tier): Tier {
  const validated = context<boolean | string>(app, 'kfm:prodIngressValidated');
  if (validated !== true && validated !== 'true') return tier;
  const cidrs = context<string[] | string>(app, 'kfm:prodIngressCidrs');
  return {
    ...tier,
    publicIngressValidated: true,
    ingressCidrs: typeof cidrs === 'string' ? cidrs.split(',').map((c) => c.trim()) : (cidrs ?? []),
    certificateArn: context<string>(app, 'kfm:prodCertificateArn'),
  };
}

export function buildAwsStacks(app: App, options: AwsStacksOptions = {}): AwsStacks {
  // One reading of the installation (core/installation.ts), the same the policy pack's declared
  // facts are resolved with.
  const installation = installationFrom((key) => context(app, key));
  const namePrefix = checkNamePrefix(options.namePrefix ?? installation.namePrefix, app);
  const region = options.region ?? context<string>(app, 'kfm:region') ?? DEFAULT_REGION;
  const tierFor = (name: TierName): Tier => {
    const t = options.tiers?.[name] ?? TIERS[name];
    return name === 'prod' ? prodSwitch(app, t) : t;
  };
  const prodRollback = options.prodRollback ?? process.env.KFM_PROD_ROLLBACK === '1';
  const [dev, stage, prod] = TIER_NAMES.map(
    (name) =>
      new TierStack(app, name, {
        tier: tierFor(name),
        namePrefix,
        region,
        offline: options.offline,
        rollback: name === 'prod' && prodRollback,
        replicaRegion: context<string>(app, 'kfm:replicaRegion'),
      }),
  );
  // One reading of the configuration for both shared stacks: the repository docs/environments.md
  // ("First run") configures as kfm:repository is the one bootstrap's roles and the appender trust.
  const bootstrapProps = bootstrapPropsFrom((key) => context(app, key), {
    namePrefix,
    region,
    offline: options.offline,
  });
  const audit = new AuditStack(app, 'audit', {
    namePrefix,
    region,
    offline: options.offline,
    ciRepository: bootstrapProps.repository,
    accountId: context<string>(app, 'kfm:accountId'),
    replicaRegion: context<string>(app, 'kfm:replicaRegion'),
  });
  const bootstrap = new BootstrapStack(app, 'bootstrap', bootstrapProps);
  return { dev, stage, prod, audit, bootstrap };
}

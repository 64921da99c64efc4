/**
 * BootstrapStack (`bootstrap`): what the workflows assume exists before the first deploy, in code.
 *
 *   state bucket   the shared Terraform state (KFM_STATE_STORE=s3://<bucket>/<prefix>): versioned,
 *                  encrypted, public access blocked, TLS only; only apply roles write a state.
 *   GitHub OIDC    the account's one provider for token.actions.githubusercontent.com.
 *   roles          trust pinned to `aud` = sts.amazonaws.com and exact subjects
 *                  `repo:<owner>/<name>:environment:<name>` (PR plans: `:pull_request`):
 *     plan-<tier>     PR plans: read-only, state read, lock file only; never a state or the ledger
 *     prod-plan       the prod plan for approval (environment prod-plan): as plan + ledger append
 *     apply-<stack>   environment <stack> (dev, stage, prod, audit): manages the stack, writes its
 *                     own state and appends to the ledger; IAM only on its own names
 *     drift-<tier>    environment drift-<tier>: read-only, state read, lock file, ledger append
 *     checkpoint      environments dev, stage, prod: the only writer of the trusted checkpoints
 *
 * Configuration (context keys, else environment): kfm:repository (owner/name, else kfm:ciRepository),
 * kfm:accountId (pins the provider and IAM ARNs to the account), kfm:checkpointStore
 * (s3://BUCKET/PREFIX, default s3://<receipts bucket>/trusted-checkpoints), KFM_STATE_STORE for the
 * state bucket and prefix (default s3://<prefix>-terraform-state/tfstate). First run: docs/environments.md.
 */
import { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { kfmAwsProvider } from '../constructs/aws-provider';
import { GithubOidcProvider, GithubRole } from '../constructs/github-oidc';
import { requireGovernedApply } from '../constructs/governed-apply';
import { KfmLabelAspect, labelScope } from '../constructs/labels';
import { receiptsBucketName } from '../constructs/naming';
import { SecureBucket } from '../constructs/secure-bucket';
import { kfmStateBackend, parseStateStore, StateStore } from '../constructs/state-backend';
import { TIER_NAMES } from '../core/vocabulary';
import { installationFrom } from '../core/installation';

/** The stacks an apply role exists for. */
export const GOVERNED_STACKS = [...TIER_NAMES, 'audit'] as const;
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';

export interface BootstrapStackProps {
  readonly namePrefix: string;
  readonly region: string;
  /** `owner/name` of the GitHub repository whose workflows assume the roles. */
  readonly repository: string;
  /** @default - any account ('*' in IAM ARNs; the provider is not pinned) */
  readonly accountId?: string;
  /** @default - KFM_STATE_STORE, else s3://<namePrefix>-terraform-state/tfstate */
  readonly stateStore?: StateStore;
  /** @default - s3://<receipts bucket>/trusted-checkpoints */
  readonly checkpointStore?: StateStore;
  /** @default - s3://<receipts bucket>/ledger */
  readonly ledgerStore?: StateStore;
  /** @default - from KFM_OFFLINE */
  readonly offline?: boolean;
}

export class BootstrapStack extends TerraformStack {
  readonly stateBucket: SecureBucket;
  readonly oidc: GithubOidcProvider;
  readonly roles: Record<string, GithubRole> = {};
  private readonly props: BootstrapStackProps;
  private readonly store: StateStore;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    this.props = props;
    kfmStateBackend(this, id, { region: props.region });
    const provider = kfmAwsProvider(this, {
      region: props.region,
      offline: props.offline,
      defaultTags: { project: 'kfm', tier: 'bootstrap', managed_by: 'cdktf' },
    });
    if (props.accountId) provider.allowedAccountIds = [props.accountId];
    requireGovernedApply(this, id, provider);
    Aspects.of(this).add(new KfmLabelAspect());
    // Not the audit zone: a state is rewritten on every apply (versioned, never object-locked).
    labelScope(this, { policyLabel: 'restricted', zone: 'work' });

    this.store = props.stateStore ?? { bucket: `${props.namePrefix}-terraform-state`, prefix: 'tfstate' };
    this.stateBucket = new SecureBucket(this, 'State', { bucketName: this.store.bucket, protect: true });
    this.oidc = new GithubOidcProvider(this, 'GithubOidc');
    for (const tier of TIER_NAMES) this.planRole(`plan-${tier}`, ['pull_request'], false);
    this.planRole('prod-plan', ['environment:prod-plan'], true);
    for (const stack of GOVERNED_STACKS) this.applyRole(stack);
    for (const tier of TIER_NAMES) this.driftRole(tier);
    this.checkpointRole();

    new TerraformOutput(this, 'StateStore', {
      value: `s3://${this.store.bucket}/${this.store.prefix}`,
    }).overrideLogicalId('state_store');
    for (const [name, r] of Object.entries(this.roles)) {
      new TerraformOutput(this, `${name}-arn`, { value: r.role.arn }).overrideLogicalId(
        `${name.replace(/-/g, '_')}_role_arn`,
      );
    }
  }

  private role(name: string, subjects: string[], description: string): GithubRole {
    const r = new GithubRole(this, `Role-${name}`, {
      oidc: this.oidc,
      repository: this.props.repository,
      subjects,
      roleName: `${this.props.namePrefix}-${name}`,
      description,
    });
    this.roles[name] = r;
    return r;
  }

  private inline(r: GithubRole, name: string, statement: DataAwsIamPolicyDocumentStatement[]): void {
    const doc = new DataAwsIamPolicyDocument(r, 'Document', { statement });
    new IamRolePolicy(r, 'Policy', { name: `${this.props.namePrefix}-${name}`, role: r.role.name, policy: doc.json });
  }

  private attach(r: GithubRole, policyArn: string): void {
    new IamRolePolicyAttachment(r, 'Managed', { role: r.role.name, policyArn });
  }

  private get stateArn(): string {
    return this.stateBucket.arn;
  }

  /** Read every state of the store, write and remove only lock files: what a plan needs. */
  private stateReadAndLock(): DataAwsIamPolicyDocumentStatement[] {
    const objects = `${this.stateArn}/${this.store.prefix}`;
    return [
      { sid: 'ListState', effect: 'Allow', actions: ['s3:ListBucket'], resources: [this.stateArn] },
      { sid: 'ReadState', effect: 'Allow', actions: ['s3:GetObject'], resources: [`${objects}/*`] },
      {
        sid: 'LockFile',
        effect: 'Allow',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [`${objects}/*.tflock`],
      },
    ];
  }

  private neverWriteState(): DataAwsIamPolicyDocumentStatement {
    return {
      sid: 'NeverWriteState',
      effect: 'Deny',
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [`${this.stateArn}/${this.store.prefix}/*.tfstate`],
    };
  }

  private ledger(): StateStore {
    return this.props.ledgerStore ?? { bucket: receiptsBucketName(this.props.namePrefix), prefix: 'ledger' };
  }

  private ledgerAppend(): DataAwsIamPolicyDocumentStatement[] {
    const l = this.ledger();
    return [
      {
        sid: 'AppendLedger',
        effect: 'Allow',
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [`arn:aws:s3:::${l.bucket}/${l.prefix}/*`],
      },
      { sid: 'ListLedger', effect: 'Allow', actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${l.bucket}`] },
      this.ledgerKeyThroughS3(),
    ];
  }

  /** The ledger's KMS key, usable only through S3 in this region. */
  private ledgerKeyThroughS3(): DataAwsIamPolicyDocumentStatement {
    return {
      sid: 'LedgerKeyThroughS3',
      effect: 'Allow',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${this.props.region}.amazonaws.com`] },
      ],
    };
  }

  private neverWriteLedger(): DataAwsIamPolicyDocumentStatement {
    const l = this.ledger();
    return {
      sid: 'NeverWriteLedger',
      effect: 'Deny',
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [`arn:aws:s3:::${l.bucket}/*`],
    };
  }

  private planRole(name: string, subjects: string[], appends: boolean): void {
    const r = this.role(name, subjects, 'Plans only: reads the cloud and the state, never writes a state');
    this.attach(r, READ_ONLY);
    this.inline(r, name, [
      ...this.stateReadAndLock(),
      this.neverWriteState(),
      ...(appends ? this.ledgerAppend() : [this.neverWriteLedger()]),
    ]);
  }

  private applyRole(stack: string): void {
    const name = `apply-${stack}`;
    const r = this.role(
      name,
      [`environment:${stack}`],
      `Applies the approved ${stack} plan; writes only the ${stack} state`,
    );
    this.attach(r, POWER_USER);
    const account = this.props.accountId ?? '*';
    const own = `${this.props.namePrefix}-${stack}-*`;
    this.inline(r, name, [
      ...this.stateReadAndLock(),
      {
        sid: 'WriteOwnState',
        effect: 'Allow',
        actions: ['s3:PutObject'],
        resources: [`${this.stateArn}/${this.store.prefix}/${stack}.tfstate`],
      },
      {
        sid: 'IamOnOwnNames',
        effect: 'Allow',
        actions: ['iam:*'],
        resources: [
          `arn:aws:iam::${account}:role/${own}`,
          `arn:aws:iam::${account}:instance-profile/${own}`,
          `arn:aws:iam::${account}:policy/${own}`,
        ],
      },
      ...this.ledgerAppend(),
    ]);
  }

  private driftRole(tier: string): void {
    const name = `drift-${tier}`;
    const r = this.role(
      name,
      [`environment:drift-${tier}`],
      `Detects ${tier} drift: reads only, records the drift receipt`,
    );
    this.attach(r, READ_ONLY);
    this.inline(r, name, [...this.stateReadAndLock(), this.neverWriteState(), ...this.ledgerAppend()]);
  }

  private checkpointRole(): void {
    const cp = this.props.checkpointStore ?? {
      bucket: receiptsBucketName(this.props.namePrefix),
      prefix: 'trusted-checkpoints',
    };
    const l = this.ledger();
    const r = this.role(
      'checkpoint',
      TIER_NAMES.map((t) => `environment:${t}`),
      'The only writer of the trusted ledger checkpoints',
    );
    this.inline(r, 'checkpoint', [
      {
        sid: 'WriteCheckpoints',
        effect: 'Allow',
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [`arn:aws:s3:::${cp.bucket}/${cp.prefix}/*`],
      },
      {
        sid: 'ReadLedger',
        effect: 'Allow',
        actions: ['s3:GetObject'],
        resources: [`arn:aws:s3:::${l.bucket}/${l.prefix}/*`],
      },
      {
        sid: 'ListLedger',
        effect: 'Allow',
        actions: ['s3:ListBucket'],
        resources: [`arn:aws:s3:::${l.bucket}`, `arn:aws:s3:::${cp.bucket}`],
      },
      this.ledgerKeyThroughS3(),
    ]);
  }
}

/** Options of `buildBootstrapStack` from the app's context and environment. */
export function bootstrapPropsFrom(
  context: (key: string) => unknown,
  base: { namePrefix: string; region: string; offline?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): BootstrapStackProps {
  const str = (k: string) => {
    const v = context(k);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const cp = str('kfm:checkpointStore');
  return {
    namePrefix: base.namePrefix,
    region: base.region,
    offline: base.offline,
    repository: installationFrom(context).repository,
    accountId: str('kfm:accountId'),
    stateStore: parseStateStore(env.KFM_STATE_STORE),
    checkpointStore: cp ? parseStateStore(cp) : undefined,
  };
}

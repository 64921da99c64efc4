/**
 * GitHub Actions' OIDC identity in AWS, defined once: the account's OIDC provider for
 * `token.actions.githubusercontent.com` and roles whose trust policy admits exactly the workflow
 * subjects named, with the audience pinned. A subject is `repo:<owner>/<name>:<what>`, `<what>`
 * being `environment:<env>` for a job in a GitHub environment or `pull_request` for a PR job.
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Construct } from 'constructs';
import { ValidationError } from '../core/validation-error';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

export class GithubOidcError extends ValidationError {}

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const WHAT = /^(?:pull_request|environment:[A-Za-z0-9._-]+)$/;

/** `repo:<owner>/<name>:<what>`; refuses wildcards and anything but a PR or an environment. */
export function githubSubject(repository: string, what: string, path?: string): string {
  if (!REPOSITORY.test(repository)) {
    throw new GithubOidcError(`repository '${repository}' must be <owner>/<name> with no wildcard`, path);
  }
  if (!WHAT.test(what)) {
    throw new GithubOidcError(`subject '${what}' must be 'pull_request' or 'environment:<name>'`, path);
  }
  return `repo:${repository}:${what}`;
}

/**
 * ARN of the account's GitHub OIDC provider, built from the account id: stacks other than
 * `bootstrap` (its only creator; AWS allows one provider per URL and account) trust it by ARN,
 * which needs no lookup, so they still plan offline.
 */
export function githubOidcProviderArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
}

/** The account's one OIDC provider for GitHub Actions (created by the bootstrap stack only). */
export class GithubOidcProvider extends Construct {
  readonly provider: IamOpenidConnectProvider;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.provider = new IamOpenidConnectProvider(this, 'Provider', {
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: [GITHUB_OIDC_AUDIENCE],
    });
  }

  get arn(): string {
    return this.provider.arn;
  }
}

export interface GithubRoleProps {
  /** The GitHub OIDC provider the role trusts. */
  readonly oidc: GithubOidcProvider;
  /** `owner/name` of the repository. */
  readonly repository: string;
  /** What the role admits: `pull_request` and/or `environment:<name>` (exact, no wildcard). */
  readonly subjects: readonly string[];
  readonly roleName: string;
  readonly description: string;
}

/** An IAM role GitHub Actions assumes through OIDC, trust pinned to `aud` and exact subjects. */
export class GithubRole extends Construct {
  readonly role: IamRole;
  readonly trust: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, props: GithubRoleProps) {
    super(scope, id);
    if (props.subjects.length === 0)
      throw new GithubOidcError('a GitHub role needs at least one subject', this.node.path);
    const subjects = props.subjects.map((s) => githubSubject(props.repository, s, this.node.path));
    this.trust = new DataAwsIamPolicyDocument(this, 'Trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRoleWithWebIdentity'],
          principals: [{ type: 'Federated', identifiers: [props.oidc.arn] }],
          condition: [
            { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:aud`, values: [GITHUB_OIDC_AUDIENCE] },
            { test: 'StringEquals', variable: `${GITHUB_OIDC_HOST}:sub`, values: subjects },
          ],
        },
      ],
    });
    this.role = new IamRole(this, 'Role', {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: this.trust.json,
      maxSessionDuration: 3600,
    });
  }
}

/**
 * The audit stack's ledger bucket, created by real Terraform from the synthesized JSON on the local
 * radosgw (scripts/s3-local.sh), then the ledger appended into it with `kfm audit append` (the S3
 * store), then Object Lock refusing the delete of an entry version.
 *
 * The stack is synthesized as main.ts does (buildAwsStacks + the policy pack, app.synth()). A small,
 * named filter (`ledgerBucketForRadosgw`) keeps the ledger bucket's resources of the types radosgw
 * creates through the aws provider (RADOSGW_CREATES); every other type of the stack must be named in
 * RADOSGW_CANNOT with the reason, so a new resource type is a decision, not a silent skip. The filter
 * refuses a synth whose ledger bucket has lost Object Lock or its COMPLIANCE default retention.
 *
 * What the test radosgw changes, each in one named step:
 *   - retention: 1 day COMPLIANCE instead of the stack's years (TEST_RETENTION). radosgw keeps data
 *     in memory (memstore) under $TMPDIR/kfm-s3-local, on a throwaway runner in CI: the locked test
 *     objects go when the daemons stop;
 *   - the bucket policy: the statements radosgw cannot be met with are named and left out
 *     (RADOSGW_UNMET_STATEMENTS: plain HTTP, no KMS); the deny-deletion statement stays;
 *   - the public access block: created as synthesized, then BlockPublicAcls turned off before the
 *     appends (RADOSGW_UNMET_ACCESS_BLOCK), the other three left on;
 *   - the provider: endpoint override to radosgw, path style, skip_* flags, radosgw's local keys.
 *   - apply one resource at a time (RADOSGW_PARALLELISM): radosgw writes a bucket's settings
 *     read-modify-write, so settings put at once can undo each other. Three parallel puts (public
 *     access block, policy, versioning) on fresh buckets lost the public access block in 14 of 20
 *     tries here; AWS keeps each setting apart.
 *   - the bucket's name: one per run, as a bucket holding locked versions cannot be removed from the
 *     shared radosgw. (Synthesized with the default kfm:namePrefix: another prefix fails the policy
 *     pack, whose declared log store is named kfm-audit-access-logs.)
 * One `terraform init` + `apply` (the governed mark set as scripts/plan.sh sets it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutPublicAccessBlockCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { App } from 'cdktf';
import { GOVERNED_PLAN_MARK, GOVERNED_PLAN_VARIABLE } from '../../constructs/governed-apply';
import { applyPolicy } from '../../constructs/policy-aspect';
import { seqName } from '../../ledger/entry';
import { buildAwsStacks } from '../../stacks/aws';
import { makeEnvelopes, makeKey, REPO, tempDir } from '../ledger/helpers';
import { kfm } from '../receipts/helpers';
import { localS3 } from '../support/local-s3';

type Json = Record<string, any>;

/** Logical-id prefix of the ledger bucket's resources (AuditStore `Receipts`, its SecureBucket `Store`). */
const LEDGER = 'Receipts_Store_';

/** Resource types radosgw 16 creates through the aws provider 5.100.0 (endpoint override). */
const RADOSGW_CREATES = [
  'aws_s3_bucket',
  'aws_s3_bucket_versioning',
  'aws_s3_bucket_object_lock_configuration',
  'aws_s3_bucket_policy',
  'aws_s3_bucket_public_access_block',
] as const;

/** The audit stack's other resource types, and why radosgw cannot create them. */
const RADOSGW_CANNOT: Record<string, string> = {
  aws_s3_bucket_server_side_encryption_configuration: 'PutBucketEncryption: InvalidArgument, SSE-KMS and SSE-S3 alike',
  aws_s3_bucket_lifecycle_configuration:
    'the PUT is taken, but the rules read back in another shape: the provider waits 3 min for them to match, then fails',
  aws_s3_bucket_ownership_controls: 'PutBucketOwnershipControls: InvalidArgument',
  aws_s3_bucket_replication_configuration:
    'PutBucketReplication: MethodNotAllowed (and the replica region is a second provider)',
  aws_kms_key: 'KMS is not an S3 API',
  aws_kms_alias: 'KMS is not an S3 API',
  aws_iam_role: 'IAM is not an S3 API',
  aws_iam_role_policy: 'IAM is not an S3 API',
};

/** Statements of the ledger bucket's policy that radosgw cannot be met with here, and why. */
const RADOSGW_UNMET_STATEMENTS: Record<string, string> = {
  DenyInsecureTransport: 'the test radosgw serves plain HTTP',
  DenyWrongEncryption: 'no KMS: an SSE-KMS put is refused, so every put would be',
  DenyUnencryptedPuts: 'no KMS: an SSE-KMS put is refused, so every put would be',
};

/**
 * The one public access block setting radosgw 16 cannot live with: while BlockPublicAcls is on it
 * refuses every PutObject, the owner's own with no ACL too (AWS refuses only puts granting public
 * ACLs). Terraform creates the block as synthesized; the test turns this one setting off afterwards
 * (through the SDK: the provider's create with it off reads back all four off on radosgw).
 */
const RADOSGW_UNMET_ACCESS_BLOCK = { BlockPublicAcls: false };

/** One resource at a time: see the header (radosgw's bucket settings race each other). */
const RADOSGW_PARALLELISM = '-parallelism=1';

/** The test bucket's default retention: the shortest S3 allows, COMPLIANCE as the stack's. */
const TEST_RETENTION = { mode: 'COMPLIANCE', days: 1 };

const only = (json: Json, type: string): [string, Json] => {
  const hits = Object.entries(json.resource?.[type] ?? {}).filter(([id]) => id.startsWith(LEDGER));
  if (hits.length !== 1) throw new Error(`the ledger bucket has ${hits.length} ${type}; expected 1`);
  return hits[0] as [string, Json];
};

/** Refuse a synth whose ledger bucket lost Object Lock or its COMPLIANCE default retention. */
function requireLedgerLock(json: Json): void {
  const [, bucket] = only(json, 'aws_s3_bucket');
  if (bucket.object_lock_enabled !== true) throw new Error('the ledger bucket has no object_lock_enabled');
  const [, lock] = only(json, 'aws_s3_bucket_object_lock_configuration');
  const r = lock.rule?.default_retention ?? {};
  if (r.mode !== 'COMPLIANCE' || !((r.years ?? 0) > 0 || (r.days ?? 0) > 0)) {
    throw new Error(`the ledger bucket's default retention is ${JSON.stringify(r)}; expected COMPLIANCE`);
  }
}

/** `${data.aws_iam_policy_document.ID.json}` references in a resource. */
const policyDocumentsOf = (resource: Json): string[] =>
  [...JSON.stringify(resource).matchAll(/data\.aws_iam_policy_document\.([A-Za-z0-9_]+)\./g)].map((m) => m[1]);

/** The ledger bucket's resources radosgw creates, with the data they read; nothing else. */
function ledgerBucketForRadosgw(synth: Json): Json {
  requireLedgerLock(synth);
  const resource: Json = {};
  for (const type of RADOSGW_CREATES) resource[type] = Object.fromEntries([only(synth, type)]);
  const docs = Object.values(resource).flatMap((byId) => Object.values(byId as Json).flatMap(policyDocumentsOf));
  const data = {
    aws_iam_policy_document: Object.fromEntries(docs.map((id) => [id, synth.data.aws_iam_policy_document[id]])),
  };
  const provider = { aws: synth.provider.aws.filter((p: Json) => p.alias === undefined) };
  const output = { receipts_bucket: synth.output.receipts_bucket };
  return { terraform: synth.terraform, provider, variable: synth.variable, resource, data, output };
}

/** What the test radosgw needs changed (see the header), each named. */
function forTestRadosgw(json: Json, bucketName: string, endpoint: string, stateFile: string): Json {
  only(json, 'aws_s3_bucket')[1].bucket = bucketName;
  const [, lock] = only(json, 'aws_s3_bucket_object_lock_configuration');
  lock.rule.default_retention = TEST_RETENTION;
  const [, policy] = only(json, 'aws_s3_bucket_policy');
  const [docId] = policyDocumentsOf(policy);
  const doc = json.data.aws_iam_policy_document[docId];
  const sids = doc.statement.map((s: Json) => s.sid);
  for (const sid of Object.keys(RADOSGW_UNMET_STATEMENTS)) {
    if (!sids.includes(sid)) throw new Error(`the ledger bucket's policy lost ${sid}`);
  }
  doc.statement = doc.statement.filter((s: Json) => !(s.sid in RADOSGW_UNMET_STATEMENTS));
  json.terraform = { ...json.terraform, backend: { local: { path: stateFile } } };
  json.provider.aws = json.provider.aws.map((p: Json) => ({
    ...p,
    endpoints: [{ s3: endpoint }],
    s3_use_path_style: true,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: 'true',
    skip_region_validation: true,
  }));
  return json;
}

/** The audit stack as main.ts synthesizes it (policy pack included), read back from cdk.tf.json. */
function synthAudit(outdir: string): Json {
  const app = new App({ outdir });
  buildAwsStacks(app, { offline: true, prodRollback: false });
  applyPolicy(app);
  app.synth();
  return JSON.parse(readFileSync(join(outdir, 'stacks', 'audit', 'cdk.tf.json'), 'utf8'));
}

const s3 = localS3();
if (!s3) console.warn('\n*** AUDIT BUCKET ON RADOSGW NOT RUN: no local S3 server (scripts/s3-local.sh start). ***\n');
const describeS3 = s3 ? describe : describe.skip;
const s3env = s3?.env ?? {};

const tmp = tempDir('audit-radosgw');
const synth = synthAudit(join(tmp, 'synth'));

describe('the audit stack on radosgw: what it can create', () => {
  it('names every resource type of the synthesized audit stack as created there or not, with the reason', () => {
    const types = Object.keys(synth.resource).sort();
    const unnamed = types.filter((t) => !(RADOSGW_CREATES as readonly string[]).includes(t) && !(t in RADOSGW_CANNOT));
    expect(unnamed).toEqual([]);
  });

  it('refuses a synth whose ledger bucket lost Object Lock or its retention', () => {
    const noLock = structuredClone(synth);
    delete only(noLock, 'aws_s3_bucket')[1].object_lock_enabled;
    expect(() => ledgerBucketForRadosgw(noLock)).toThrow(/no object_lock_enabled/);
    const noRetention = structuredClone(synth);
    delete only(noRetention, 'aws_s3_bucket_object_lock_configuration')[1].rule;
    expect(() => ledgerBucketForRadosgw(noRetention)).toThrow(/expected COMPLIANCE/);
  });
});

describeS3('the ledger bucket created by Terraform on radosgw, the ledger appended, a delete refused', () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...s3env,
    KFM_STATE_DIR: join(tmp, 'kfm'),
    TF_PLUGIN_CACHE_DIR: process.env.TF_PLUGIN_CACHE_DIR ?? join(REPO, '.kfm', 'terraform', 'plugin-cache'),
    [`TF_VAR_${GOVERNED_PLAN_VARIABLE}`]: GOVERNED_PLAN_MARK,
  };
  delete env.KFM_OFFLINE; // its fake credentials would replace radosgw's keys
  delete env.KFM_AUDIT_SSE;
  const bucket = `kfm-audit-receipts-${Date.now().toString(36)}`;
  const store = `s3://${bucket}/ledger`;
  const client = s3?.client as S3Client;
  let apply: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    const dir = join(tmp, 'tf');
    mkdirSync(dir, { recursive: true });
    mkdirSync(env.TF_PLUGIN_CACHE_DIR!, { recursive: true });
    const config = forTestRadosgw(
      ledgerBucketForRadosgw(synth),
      bucket,
      s3env.AWS_ENDPOINT_URL_S3,
      join(tmp, 'audit.tfstate'),
    );
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(config, null, 2));
    const tf = `terraform -chdir=${dir}`;
    apply = spawnSync(
      'bash',
      [
        '-c',
        `. scripts/lib/tf-env.sh && ${tf} init -input=false -no-color && ${tf} apply -auto-approve -no-color ${RADOSGW_PARALLELISM}`,
      ],
      { cwd: REPO, env, encoding: 'utf8', timeout: 170_000 },
    );
  }, 180_000);

  it('creates the bucket with Object Lock COMPLIANCE, versioning, the policy and the public access block', async () => {
    if (apply.status !== 0)
      throw new Error(`terraform init/apply on radosgw failed:\n${apply.stderr}\n${apply.stdout}`);
    expect(apply.stdout).toMatch(new RegExp(`Apply complete! Resources: ${RADOSGW_CREATES.length} added`));
    const lock = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    expect(lock.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
    });
    expect((await client.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    const policy = JSON.parse((await client.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!);
    expect(policy.Statement.map((s: Json) => s.Sid)).toEqual(['DenyReceiptDeletion']);
    const pab = await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
  });

  it('takes the ledger: kfm audit init and append into the bucket, and the ledger verifies', async () => {
    const block = await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    await client.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { ...block.PublicAccessBlockConfiguration, ...RADOSGW_UNMET_ACCESS_BLOCK },
      }),
    );
    const key = makeKey(join(tmp, 'keys'), 'ci');
    const envelopes = makeEnvelopes(join(tmp, 'envelopes'), key, 2);
    expect(kfm(['audit', 'init', '--store', store], { env }).status).toBe(0);
    const append = kfm(['audit', 'append', ...envelopes, '--store', store], { env });
    expect(append.stderr).toBe('');
    expect(append.status).toBe(0);
    const verify = kfm(['audit', 'verify', '--store', store, '--pub', key.pub, '--json'], { env });
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ size: 2 });
  });

  it('refuses to delete an entry version: by the policy, and by Object Lock once the policy is gone', async () => {
    const Key = `ledger/entries/${seqName(1)}.json`;
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key }));
    const VersionId = listed.Versions![0].VersionId!;
    const deleteIt = (bypass?: boolean) =>
      client.send(new DeleteObjectCommand({ Bucket: bucket, Key, VersionId, BypassGovernanceRetention: bypass }));
    await expect(deleteIt()).rejects.toMatchObject({ name: 'AccessDenied' });
    // An insider with the bucket owner's keys removes the deny-deletion policy: the lock still holds.
    await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    const byLock = { name: 'AccessDenied', message: 'forbidden by object lock' };
    await expect(deleteIt()).rejects.toMatchObject(byLock);
    await expect(deleteIt(true)).rejects.toMatchObject(byLock);
    const kept = await client.send(new GetObjectCommand({ Bucket: bucket, Key, VersionId }));
    expect((await kept.Body!.transformToString()).length).toBeGreaterThan(0);
  });
});

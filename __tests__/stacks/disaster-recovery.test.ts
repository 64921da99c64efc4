/**
 * docs/disaster-recovery.md states RPO/RTO per environment and what the stacks encode for them; this
 * test reads that table and the synthesized stacks (offline, as `KFM_OFFLINE=1` synthesizes) and
 * fails when they disagree: point-in-time recovery window, object versions kept, database deletion
 * protection, the ledger's Object Lock, and replication ("planned" means the stacks hold none).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStacks, Json, primaryResources, resources, synthJson } from './synth-helpers';

const REPO = join(__dirname, '..', '..');
const TIERS = ['dev', 'stage', 'prod'] as const;

/** The first markdown table after the heading `## RPO and RTO per environment`, as rows keyed by header. */
function rpoTable(): Record<string, Record<string, string>> {
  const doc = readFileSync(join(REPO, 'docs', 'disaster-recovery.md'), 'utf8');
  const section = doc.split(/^## RPO and RTO per environment$/m)[1]!.split(/^## /m)[0]!;
  const rows = section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  const [header, ...body] = rows;
  return Object.fromEntries(body.map((r) => [r[0]!, Object.fromEntries(header!.map((h, i) => [h, r[i]!]))]));
}

const table = rpoTable();
const synthed: Record<string, Json> = {};
beforeAll(() => {
  const stacks = buildStacks({ offline: true });
  for (const name of [...TIERS, 'audit'] as const) synthed[name] = synthJson(stacks[name]).json;
});

const one = (json: Json, type: string): Json => {
  const all = Object.values(primaryResources(json, type));
  expect(all).toHaveLength(1);
  return all[0];
};
const yesNo = (b: unknown) => (b === true ? 'yes' : 'no');

describe('docs/disaster-recovery.md states RPO and RTO for every environment', () => {
  it('has one row per tier, each with an RPO and an RTO in hours or minutes', () => {
    expect(Object.keys(table)).toEqual([...TIERS]);
    for (const t of TIERS) {
      expect(table[t]!['RPO (records)']).toMatch(/^\d+ (min|h)$/);
      expect(table[t]!.RTO).toMatch(/^\d+ h$/);
    }
    const rto = TIERS.map((t) => Number(table[t]!.RTO.split(' ')[0]));
    expect([...rto].sort((a, b) => b - a)).toEqual(rto); // prod recovers fastest
  });
});

describe.each(TIERS)('the %s stack meets its row', (tier) => {
  const row = () => table[tier]!;

  it('keeps point-in-time recovery of the database for the stated window', () => {
    const db = one(synthed[tier]!, 'aws_db_instance');
    expect(db.backup_retention_period).toBeGreaterThan(0); // PITR needs automated backups
    expect(db.backup_retention_period).toBe(Number(row()['PITR window (days)']));
    expect(yesNo(db.deletion_protection)).toBe(row()['database deletion protection']);
  });

  it('keeps earlier object versions of the zone bucket for the stated days', () => {
    const json = synthed[tier]!;
    expect(one(json, 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    const rule = one(json, 'aws_s3_bucket_lifecycle_configuration').rule.find(
      (r: Json) => r.id === 'expire-noncurrent-versions',
    );
    expect(rule.filter).toEqual([{}]);
    expect(rule.noncurrent_version_expiration).toEqual([
      { noncurrent_days: Number(row()['object versions kept (days)']) },
    ]);
  });

  it('keeps the ledger under Object Lock COMPLIANCE for the stated years', () => {
    const lock = one(synthed.audit!, 'aws_s3_bucket_object_lock_configuration');
    expect(lock.rule).toEqual({
      default_retention: { mode: 'COMPLIANCE', years: Number(row()['ledger Object Lock (years)']) },
    });
  });

  it('replicates zone and ledger buckets exactly as the row says, to the replica region', () => {
    const cell = row()['zone and ledger replication'];
    expect(cell).not.toBe('planned');
    const configs = (j: Json) => Object.values(resources(j, 'aws_s3_bucket_replication_configuration'));
    // "ledger only": the tier's zones are rebuilt from code; "zones and ledger": both replicate.
    expect(configs(synthed[tier]!)).toHaveLength(cell.startsWith('zones and ledger') ? 1 : 0);
    expect(configs(synthed.audit!)).toHaveLength(cell.includes('ledger') ? 1 : 0);
    const region = /to ([a-z]{2}-[a-z]+-[0-9])/.exec(cell)?.[1];
    for (const j of [synthed[tier]!, synthed.audit!].filter((x) => configs(x).length > 0)) {
      const [rule] = configs(j)[0]!.rule;
      // Delete markers stay at the source: a delete there never reaches the replica.
      expect(rule.delete_marker_replication).toEqual({ status: 'Disabled' });
      expect(rule.destination.encryption_configuration.replica_kms_key_id).toMatch(/^\$\{aws_kms_key\.\w*Replica_Key_/);
      const alias = j.provider.aws.find((p: Json) => p.alias === 'replica');
      expect(alias?.region).toBe(region);
      const replicaBucket = Object.entries(resources(j, 'aws_s3_bucket')).find(([id]) => /Replica_Store_Bucket/.test(id))![1];
      expect(replicaBucket.provider).toBe('aws.replica');
    }
  });

  it('keeps the replica of the ledger under the same Object Lock, and its role never deletes', () => {
    const j = synthed.audit!;
    const locks = Object.values(resources(j, 'aws_s3_bucket_object_lock_configuration'));
    expect(locks.map((l) => l.rule.default_retention)).toEqual([
      { mode: 'COMPLIANCE', years: Number(row()['ledger Object Lock (years)']) },
      { mode: 'COMPLIANCE', years: Number(row()['ledger Object Lock (years)']) },
    ]);
    const docs = j.data.aws_iam_policy_document as Record<string, Json>;
    const doc = Object.entries(docs).find(([id]) => id.startsWith('ReceiptsReplica_Document_'))![1];
    const actions = doc.statement.flatMap((st: Json) => st.actions as string[]);
    expect(actions).not.toContain('s3:ReplicateDelete');
    expect(actions.filter((a: string) => /Delete/.test(a))).toEqual([]);
    expect(Object.keys(primaryResources(j, 'aws_s3_bucket_replication_configuration'))).toEqual([]);
  });
});

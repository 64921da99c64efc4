import { ReceiptError } from '../../core/errors';

/**
 * The time for a record that Terraform did not produce (approvals, smoke records, manifests):
 * `--timestamp` if given, else SOURCE_DATE_EPOCH (reproducible builds convention), else the clock.
 * Receipts made from Terraform output never use this: their times come from Terraform.
 */
export function eventTime(command: string, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) {
    const t = Date.parse(flag);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(flag) || Number.isNaN(t)) {
      throw new ReceiptError(
        'USAGE',
        `kfm ${command}: --timestamp "${flag}" is not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)`,
      );
    }
    return new Date(t).toISOString();
  }
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && /^\d+$/.test(sde)) return new Date(Number(sde) * 1000).toISOString();
  return new Date().toISOString();
}

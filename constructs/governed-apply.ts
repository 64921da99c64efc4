/**
 * One governed way to change a stack (docs/gates.md): an apply of a governed stack goes through
 * scripts/apply.sh, which applies the plan file scripts/plan.sh made, was receipted and approved.
 *
 * scripts/plan.sh sets the variable `kfm_governed_plan` to GOVERNED_PLAN_MARK; a saved plan carries
 * its variables, so applying that plan file passes. Any other apply (`cdktf deploy`, `cdktf
 * destroy`, `terraform apply` with no plan file, or the apply of a plan made without the mark) is
 * refused by the variable's validation while Terraform applies (`terraform.applying`, Terraform
 * >= 1.10), before the first change: the provider configuration references the variable, so no
 * resource of the provider can be created, changed or destroyed before the check has run. A plan
 * alone (`cdktf diff`, `terraform plan`, drift's refresh-only plan) is never refused.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, TerraformVariable } from 'cdktf';
import { TIER_NAMES } from '../core/vocabulary';

export const GOVERNED_PLAN_VARIABLE = 'kfm_governed_plan';
/** What scripts/plan.sh passes as `TF_VAR_kfm_governed_plan`. */
export const GOVERNED_PLAN_MARK = 'scripts/plan.sh';

/**
 * The one line an ungated apply of stack `id` stops with, naming the governed command: scripts/apply.sh
 * for a tier; for `audit` and `bootstrap` (no apply gate in the ledger yet) the plan file
 * scripts/plan.sh made, applied as docs/environments.md ("First run") says.
 */
export function ungatedApplyMessage(id: string): string {
  const governed = (TIER_NAMES as readonly string[]).includes(id)
    ? `apply the approved plan with scripts/apply.sh ${id} (docs/gates.md)`
    : `apply the plan file scripts/plan.sh ${id} made (docs/environments.md, First run)`;
  return `ungated apply of ${id} refused before any change: ${governed}`;
}

/** Refuse every apply of `stack` but that of a plan made by scripts/plan.sh; `provider` waits for the check. */
export function requireGovernedApply(stack: TerraformStack, id: string, provider: AwsProvider): void {
  const mark = new TerraformVariable(stack, 'GovernedPlan', {
    type: 'string',
    default: '',
    description: `Set by ${GOVERNED_PLAN_MARK} only: an apply of any other plan is refused (docs/gates.md)`,
    validation: [
      {
        condition: `\${var.${GOVERNED_PLAN_VARIABLE} == "${GOVERNED_PLAN_MARK}" || !terraform.applying}`,
        errorMessage: ungatedApplyMessage(id),
      },
    ],
  });
  mark.overrideLogicalId(GOVERNED_PLAN_VARIABLE);
  orderAfterGovernedCheck(provider);
}

/**
 * The provider's default either way (25 retries): the reference only orders the check before the
 * provider, so no resource of it changes before the check has run. Every provider of a governed
 * stack (the replica region's alias too) takes it.
 */
export function orderAfterGovernedCheck(provider: AwsProvider): void {
  provider.addOverride('max_retries', `\${var.${GOVERNED_PLAN_VARIABLE} == "" ? 25 : 25}`);
}

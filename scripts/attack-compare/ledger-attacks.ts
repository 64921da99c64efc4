import type { Attack } from './main';
export const LEDGER_ATTACKS: Attack[] = [];

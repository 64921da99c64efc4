import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import { ReceiptError } from '../errors';
import { echoSafe } from '../redact/safe-json';
import planSchema from '../../schemas/plan-receipt.schema.json';
import applySchema from '../../schemas/apply-receipt.schema.json';
import driftSchema from '../../schemas/drift-receipt.schema.json';

/**
 * JSON Schemas (draft 2020-12) of the receipt predicates, in `schemas/`. Imported so the build
 * copies them next to the CLI; compiled once, lazily, per predicate type.
 */
const SCHEMA_FILES: Record<string, () => unknown> = {
  'https://kfm.dev/receipts/plan/v1': () => planSchema,
  'https://kfm.dev/receipts/apply/v1': () => applySchema,
  'https://kfm.dev/receipts/drift/v1': () => driftSchema,
};

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

export function isKnownPredicateType(t: string): boolean {
  return Object.prototype.hasOwnProperty.call(SCHEMA_FILES, t);
}

function validatorFor(predicateType: string): ValidateFunction {
  let v = compiled.get(predicateType);
  if (!v) {
    ajv ??= new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true });
    v = ajv.compile(SCHEMA_FILES[predicateType]!() as object);
    compiled.set(predicateType, v);
  }
  return v;
}

/** Validate a predicate; SCHEMA_INVALID naming `source` and the first failing field (never its value). */
export function validatePredicate(predicateType: string, predicate: unknown, source: string): void {
  if (!isKnownPredicateType(predicateType)) throw new ReceiptError('SCHEMA_INVALID', `${source}: predicateType has no kfm schema`);
  const v = validatorFor(predicateType);
  if (!v(predicate)) {
    const e = v.errors?.[0];
    const where = e ? `predicate${e.instancePath.replace(/\//g, '.')}` : 'predicate';
    const extra = e?.params && 'additionalProperty' in e.params ? ` ${echoSafe((e.params as { additionalProperty: unknown }).additionalProperty)}` : '';
    throw new ReceiptError('SCHEMA_INVALID', `${source}: ${where} ${e?.message ?? 'is invalid'}${extra} (schema ${predicateType})`);
  }
}

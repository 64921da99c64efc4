/**
 * Validates API objects offline against the Kubernetes OpenAPI schemas that the npm `kubernetes-models`
 * package ships (see README.md here for the version): two named steps.
 *
 * 1. `schemaErrors`: the package's validators, compiled from the OpenAPI definitions (types, required
 *    fields, enums, formats). Like the API server's OpenAPI check they do not run CEL rules
 *    (`x-kubernetes-validations`); those only an API server evaluates.
 * 2. `unknownFields`: strict field validation (what `kubectl apply --validate=strict` asks of the
 *    server): every key must be a property of its definition. The validators accept unknown keys, so
 *    the property sets are read from the package's declarations, generated from the same definitions.
 *
 * The package is ESM only; it is loaded with a native `import()` of its file, so this module needs a
 * process that can import ESM (node, tsx), not jest's CommonJS sandbox.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ts from 'typescript';
import { isObject } from '../../../core/json';
import { ApiObject } from './api-object';

/** One schema problem of one object: a JSON pointer into it and what is wrong there. */
export interface SchemaError {
  readonly path: string;
  readonly message: string;
}

const PACKAGE = 'kubernetes-models';

function packageDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', PACKAGE);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${PACKAGE} is not installed (npm ci installs it)`);
  }
}

/** `networking.k8s.io/v1` + `NetworkPolicy` → `networking.k8s.io/v1/NetworkPolicy` inside the package. */
const modulePathOf = (o: ApiObject['object']) => `${o.apiVersion}/${o.kind}`;

// A real import() (tsc would turn `import()` into require(), which cannot load this ESM package).
const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

async function modelClass(o: ApiObject['object']): Promise<ModelClass | undefined> {
  const file = join(packageDir(), `${modulePathOf(o)}.js`);
  if (!existsSync(file)) return undefined;
  const mod = await importEsm(pathToFileURL(file).href);
  return mod[o.kind] as ModelClass | undefined;
}

interface AjvLikeError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly keyword?: string;
  readonly params?: Record<string, unknown>;
}

function messageOf(e: AjvLikeError): string {
  if (e.message) return e.message;
  if (e.keyword === 'type') return `must be ${String(e.params?.type)}`;
  if (e.keyword === 'required') return `must have required property '${String(e.params?.missingProperty)}'`;
  if (e.keyword === 'enum') return `must be one of ${JSON.stringify(e.params?.allowedValues)}`;
  return `fails ${e.keyword ?? 'the schema'}`;
}

/** Step 1: the OpenAPI validators of the package (no CEL rules). */
export async function schemaErrors(o: ApiObject['object']): Promise<SchemaError[]> {
  const Model = await modelClass(o);
  if (!Model) return [{ path: '', message: `${o.apiVersion} ${o.kind} has no schema in ${PACKAGE}` }];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: AjvLikeError[] }).errors;
    if (!Array.isArray(errors)) return [{ path: '', message: e instanceof Error ? e.message : String(e) }];
    return errors.map((x) => ({ path: x.instancePath || '/', message: messageOf(x) }));
  }
}

// ---- step 2: strict fields, from the package's declarations ----

const ENTRY = '__kfm_kubernetes_models__.ts';

/** One TypeScript program over the declarations of the kinds asked for; types by `apiVersion/kind`. */
function declarationTypes(objects: readonly ApiObject['object'][]): {
  checker: ts.TypeChecker;
  typeOf: (o: ApiObject['object']) => ts.Type | undefined;
} {
  const dir = packageDir();
  const kinds = [...new Set(objects.map(modulePathOf))].filter((p) => existsSync(join(dir, `${p}.d.ts`)));
  const alias = (i: number) => `K${i}`;
  const source =
    kinds
      .map((p, i) => `import type { I${p.split('/').pop()} as ${alias(i)} } from ${JSON.stringify(join(dir, p))};`)
      .join('\n') + `\nexport type All = {${kinds.map((p, i) => ` ${JSON.stringify(p)}: ${alias(i)};`).join('')} };\n`;
  const entry = join(dir, ENTRY);
  const options: ts.CompilerOptions = {
    noEmit: true,
    noLib: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, lang, ...rest) =>
    f === entry ? ts.createSourceFile(f, source, lang) : getSourceFile.call(host, f, lang, ...rest);
  host.fileExists = (f) => f === entry || fileExists.call(host, f);
  host.readFile = (f) => (f === entry ? source : readFile.call(host, f));
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const all = checker.getDeclaredTypeOfSymbol(checker.getExportsOfModule(module).find((s) => s.name === 'All')!);
  return {
    checker,
    typeOf: (o) => {
      const p = all.getProperty(modulePathOf(o));
      return p ? checker.getTypeOfSymbol(p) : undefined;
    },
  };
}

function walkFields(checker: ts.TypeChecker, type: ts.Type, value: unknown, at: string, out: SchemaError[]): void {
  const t = checker.getNonNullableType(type);
  const members = t.isUnion() ? t.types : [t];
  if (Array.isArray(value)) {
    const element = members.map((m) => m.getNumberIndexType()).find((e): e is ts.Type => !!e);
    if (element) value.forEach((v, i) => walkFields(checker, element, v, `${at}/${i}`, out));
    return;
  }
  if (!isObject(value)) return;
  const objectish = members.filter((m) => m.getProperties().length > 0 || m.getStringIndexType());
  if (objectish.length === 0) return; // free-form (RawExtension, JSON): no property set to check
  for (const [key, v] of Object.entries(value)) {
    const prop = objectish.map((m) => m.getProperty(key)).find((p): p is ts.Symbol => !!p);
    if (prop) {
      walkFields(checker, checker.getTypeOfSymbol(prop), v, `${at}/${key}`, out);
      continue;
    }
    const index = objectish.map((m) => m.getStringIndexType()).find((e): e is ts.Type => !!e);
    if (index) walkFields(checker, index, v, `${at}/${key}`, out);
    else out.push({ path: `${at}/${key}`, message: 'unknown field' });
  }
}

/** Step 2 for many objects at once (one program): keys that are not properties of their definition. */
export function unknownFields(objects: readonly ApiObject['object'][]): SchemaError[][] {
  const { checker, typeOf } = declarationTypes(objects);
  return objects.map((o) => {
    const type = typeOf(o);
    const out: SchemaError[] = [];
    if (type) walkFields(checker, type, o, '', out);
    return out;
  });
}

/** Both steps for every object, in order: schema errors first, then unknown fields. */
export async function validateAgainstSchemas(objects: readonly ApiObject[]): Promise<SchemaError[][]> {
  const strict = unknownFields(objects.map((o) => o.object));
  const out: SchemaError[][] = [];
  for (const [i, o] of objects.entries()) out.push([...(await schemaErrors(o.object)), ...strict[i]!]);
  return out;
}

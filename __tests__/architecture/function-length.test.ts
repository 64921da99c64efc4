import { functionsOf, longFunctions } from '../../scripts/function-lengths';

/**
 * The size budget of ARCHITECTURE.md § Size: a long function is a list of named steps waiting to
 * be written. Measured on TypeScript's syntax tree by scripts/function-lengths.ts.
 */
describe('function length budget', () => {
  const over80 = longFunctions(80);
  const show = (fs: typeof over80) => fs.map((f) => `${f.lines} ${f.file}:${f.from} ${f.name}`).join('\n');

  it('keeps at most 3 hand-written functions over 80 lines', () => {
    // The list is in the message so a failure names what grew.
    expect(over80.length <= 3 ? '' : show(over80)).toBe('');
  });

  it('keeps every hand-written function at 120 lines or fewer', () => {
    expect(show(over80.filter((f) => f.lines > 120))).toBe('');
  });

  it('measures constructors, methods, arrow functions and declarations from first token to closing brace', () => {
    const text = [
      'export class A {',
      '  constructor() {',
      '    1;',
      '  }',
      '  m() { return 1; }',
      '}',
      'function f() {',
      '  return 2;',
      '}',
      'const g = () => {',
      '  return 3;',
      '};',
    ].join('\n');
    const found = functionsOf('x.ts', text).map((f) => [f.name, f.lines]);
    expect(found).toEqual([
      ['A.constructor', 3],
      ['A.m', 1],
      ['f', 3],
      ['g', 3],
    ]);
  });
});

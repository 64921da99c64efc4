/** Transpile-only: types are checked once by `tsc --noEmit` (see package.json "test"). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }],
  },
  // @actions/workflow-parser ships ESM that imports JSON without import attributes.
  transformIgnorePatterns: ['/node_modules/(?!@actions/workflow-parser|@actions/expressions)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120000,
  maxWorkers: 2,
};

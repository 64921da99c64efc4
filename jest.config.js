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
  // The local radosgw starts once per run (tests that need S3 find it up; see the file).
  globalSetup: '<rootDir>/__tests__/support/global-s3-setup.ts',
  globalTeardown: '<rootDir>/__tests__/support/global-s3-teardown.ts',
  testTimeout: 120000,
  // Longest files first, from a table of one clean-clone run when jest's cache has no times.
  testSequencer: '<rootDir>/__tests__/support/sequencer.js',
  maxWorkers: 2,
};

/**
 * Three test tiers chosen by file suffix (see README "Testing"):
 *   *.spec.ts      unit, no I/O
 *   *.int-spec.ts  real Postgres / Redis / anvil
 *   *.e2e-spec.ts  whole system over HTTP
 * Each jest worker gets its own database and its own anvil (see libs/testing).
 */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  // Injects the apps into libs/testing's harnesses (libraries never import apps).
  setupFiles: ['<rootDir>/test/setup/register-apps.ts'],
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: process.env.JEST_MAX_WORKERS || 2,
};

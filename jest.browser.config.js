// Browser end-to-end tests (npm run test:browser): playwright-core drives Debian's Chromium against the real
// portal, with real MariaDB and Redis on a per-run database (the same global setup and teardown as npm test).
const base = require('./jest.config.js');

module.exports = {
  rootDir: __dirname,
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  testEnvironment: 'node',
  moduleNameMapper: { '^@hub/(.*)$': '<rootDir>/libs/$1/src' },
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  testTimeout: 120000,
};

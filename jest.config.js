// Two projects: fast unit specs beside the code, and end-to-end specs under test/ that run
// against real PostgreSQL and Redis. Both compile TypeScript with SWC (decorator metadata on).
// Jest runs under --experimental-vm-modules so that CommonJS code can require() the
// ESM-only packages (NestJS 12, the AI SDK), as Node 24 itself does.
const fs = require('node:fs');
const swc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
const transform = { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] };

module.exports = {
  testTimeout: 60000,
  // Quiet when passing (test/setup/quiet-reporter.js); the summary as usual.
  reporters: ['<rootDir>/test/setup/quiet-reporter.js', 'summary'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: __dirname,
      roots: ['<rootDir>/src'],
      testRegex: '\\.spec\\.ts$',
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: __dirname,
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
      transform,
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};

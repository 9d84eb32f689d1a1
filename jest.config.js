// Two projects: fast unit specs next to the code, and end-to-end suites under test/
// that spawn the compiled apps (dist/) as child processes.
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
const moduleNameMapper = {
  '^@ent/(contract|negotiation|storage|persistence|formats|common)$': '<rootDir>/libs/$1/src',
};
// jose is ESM-only: let swc turn it into CommonJS for jest.
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleNameMapper,
};
module.exports = {
  // Per-project testTimeout is ignored by jest 29: e2e suites call jest.setTimeout themselves.
  testTimeout: 30000,
  projects: [
    {
      displayName: 'unit',
      ...common,
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    {
      displayName: 'e2e',
      ...common,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};

// Two projects: fast unit specs next to the code, and end-to-end suites under test/
// that spawn the compiled apps (dist/) as child processes.
// ts-jest in transpile-only mode: pure JavaScript (no native binary, so `npm ci` works on
// every platform) and it emits the decorator metadata Nest's DI needs.
const tsJest = ['ts-jest', {
  tsconfig: { isolatedModules: true, module: 'commonjs', target: 'es2022', esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true },
  diagnostics: false,
}];
const moduleNameMapper = {
  '^@ent/(contract|negotiation|storage|persistence|formats|common|dnma)$': '<rootDir>/libs/$1/src',
};
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
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

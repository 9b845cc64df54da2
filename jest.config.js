/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // otplib's crypto dependencies (@noble, @scure) ship ES modules only; Node 20 loads them
    // through require(esm), Jest's module system does not, so they are compiled to CommonJS.
    '^.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }],
  },
  // auto-bind (a dependency of the codegen plugins test/schema.test.ts runs) is ESM only too.
  // The OTLP exporter loads `http` with a dynamic import(), which Jest's CommonJS runtime
  // refuses without --experimental-vm-modules; compiled, it becomes a require().
  transformIgnorePatterns: [
    '/node_modules/(?!(@noble|@scure|@otplib|otplib|auto-bind|@opentelemetry/exporter-trace-otlp-http|@opentelemetry/otlp-exporter-base)/)',
  ],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  // Integration tests share two cores with Postgres; more workers only add contention.
  maxWorkers: 2,
};

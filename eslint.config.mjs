// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules, without type
// information (fast enough to run on every `npm test`). Formatting is Prettier's business.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'test/generated/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused values are the compiler's job (noUnusedLocals/Parameters); `_name` marks a deliberate one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Only the logger writes: console output bypasses redaction and the log pipeline.
      'no-console': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // CommonJS configuration files (jest.config.js).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' } },
  },
  {
    // The admin feed page's script runs in the browser (plain script, graphql-ws loaded beside it).
    files: ['static/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        sessionStorage: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        console: 'readonly',
        graphqlWs: 'readonly',
        atob: 'readonly',
        Date: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        location: 'readonly',
      },
    },
  },
  {
    // Tests, the benchmark and the gateway demo are programs of their own.
    files: ['test/**', 'bench/**', 'gateway/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);

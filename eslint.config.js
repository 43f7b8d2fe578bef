// Lint: eslint's and typescript-eslint's recommended rules (syntax-based, not type-aware: fast on two
// cores), for the TypeScript sources and tests and the benchmark scripts. Formatting is prettier's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node's globals for the plain JavaScript files (scripts/*.mjs, bin/). */
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'URL',
    'URLSearchParams',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'process',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
    'TextDecoder',
    'TextEncoder',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'out/', 'examples/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Binary formats (tar headers, ELF) and terminal output (ANSI escapes) are matched with control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // `_`-prefixed parameters are kept on purpose (an interface's signature, a callback's position);
      // `{ drop, ...rest }` leaves `drop` out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: nodeGlobals },
  },
);

import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * Architecture boundaries (ARCHITECTURE.md, issue #2): these fail the build.
 * - main/core never imports electron (it must run on plain Node: CLI, web UI, tests);
 * - renderer imports no Node built-in and nothing from main/ except the API contract's types (and
 *   the contract's import-free ports.ts, whose constants the pairing wizards show);
 * - preload imports only electron and the API contract;
 * - the contract (main/core/contract/) is a leaf: it imports zod and itself only, and no Node built-in: the
 *   sandboxed preload bundles it and can require only electron
 *   (tests/shell/build.test.ts checks the bundle itself);
 * - the CLI (main/cli/) imports no protocol internals: its commands parse flags, call contract
 *   methods and format what they answer (issue #16).
 */
export const boundaryRules = [
  {
    files: ['main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'main/core must run on plain Node: pass what you need in from main/shell.',
            },
          ],
          patterns: [
            {
              group: ['electron/*', '**/shell/**'],
              message: 'main/core must not depend on the Electron shell.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'The renderer is sandboxed: no Node built-ins.',
          })),
          patterns: [
            {
              // Data-only, dependency-free leaves the renderer may run: ports and the error wire format.
              group: [
                '**/main/core/contract/*',
                '!**/main/core/contract/ports.ts',
                '!**/main/core/contract/errors.ts',
              ],
              allowTypeImports: true,
              message: 'The renderer may only import types from the API contract.',
            },
            {
              regex: '(^|/)main/(?!core/contract/)|^electron$',
              message:
                'The renderer reaches the agent only through window.outpost (the AgentApi contract).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/core/contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message:
              'The API contract is bundled into the sandboxed preload, which can require only electron: no Node built-ins.',
          })),
          patterns: [
            {
              regex: '^(?!zod$|node:|\\./)',
              message:
                'The contract is a leaf (ARCHITECTURE.md): it imports zod and itself only; implementations import from it, never the reverse.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'The preload exposes the AgentApi and nothing else.',
          })),
          patterns: [
            {
              regex: '(^|/)main/(?!core/contract/)',
              message: 'The preload imports only the API contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)core/protocols/',
              message:
                'The CLI is an adapter: call contract methods (main/core/contract), not protocol internals',
            },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      '.outpost-test/**',
      'dist/**',
      'node_modules/**',
      'tests/fixtures/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...boundaryRules,
);

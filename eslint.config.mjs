// Lint enforces the architecture: which folder may import what, and no raw IPC outside the one wrapper.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'worker_threads', 'net', 'http', 'https', 'url', 'util', 'stream', 'events', 'zlib', 'module'];
const nodeOnlyPackages = ['better-sqlite3', 'isomorphic-git', 'dockerode', 'playwright-core', '@playwright/test', 'jose', 'commander'];
const rawIpc = {
  paths: [
    { name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Use the typed contract: electron/ipc (main) or the preload. Raw ipcMain/ipcRenderer is banned.' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'release/**', 'test/fixtures/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'prefer-const': 'error',
      'no-restricted-imports': ['error', rawIpc],
    },
  },
  {
    // shared/ runs anywhere: no Node, DOM, Electron or Node-only packages.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['electron', ...nodeOnlyPackages], patterns: [...nodeBuiltins, '**/electron/**', '**/renderer/**'] }],
    },
  },
  {
    // Services and core run in plain Node: never Electron, never the renderer.
    files: ['electron/services/**/*.ts', 'electron/core/**/*.ts', 'electron/ipc/**/*.ts', 'electron/cli/**/*.ts', 'electron/bridge/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only electron/main and electron/preload import electron.' }], patterns: ['**/renderer/**', '**/main/main', '**/preload/**'] }],
    },
  },
  {
    // Services do not reach up into core, IPC or the CLI.
    files: ['electron/services/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Services never import electron.' }], patterns: ['**/renderer/**', '**/core/**', '**/ipc/**', '**/cli/**', '**/bridge/**'] }],
    },
  },
  {
    // The renderer runs in the browser: talks to main only through window.gatehouse.
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { paths: ['electron', ...nodeOnlyPackages], patterns: [...nodeBuiltins, '**/electron/**'] }],
    },
  },
  {
    // The two places raw IPC is allowed: main's single handler registration and the preload allowlist.
    files: ['electron/main/main.ts', 'electron/preload/preload.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Playwright fixtures must destructure their (empty) dependencies.
    files: ['test/e2e/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

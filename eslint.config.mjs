// Lint rules, including the layering of the code base: src/shared is pure (no Node, DOM host
// or Electron), only src/main/electron imports `electron`, and the renderer talks to the back
// end only through the shared contract.
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'worker_threads', 'zlib', 'stream']

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'docs/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off'
    }
  },
  {
    // Type-aware rules: the subset of typescript-eslint's strict-type-checked set that finds real
    // bugs here (promises dropped or misused, throws of non-errors, switches that miss a
    // case, assertions the types already make) without rewriting the code base's style. Only .ts
    // files: the TypeScript project service cannot type Vue single-file components (vue-tsc can,
    // and checks them in `npm run typecheck`), so in .vue files it would see `any` and misjudge.
    files: ['**/*.ts'],
    // Each file is typed by the tsconfig that builds it (strict, with its own libs), not by a default project.
    languageOptions: { parserOptions: { project: ['./tsconfig.node.json', './tsconfig.web.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-redundant-type-constituents': 'error',
      '@typescript-eslint/no-duplicate-type-constituents': 'error',
      '@typescript-eslint/no-unnecessary-boolean-literal-compare': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch']
    }
  },
  {
    // Pinia's state() and Vue's reactive helpers give object literals a contextual type of
    // Record<string, any>, so the rule reports the assertions that type a store's state
    // (`null as Run | null`) as unnecessary, and removing them would type the field as `null`.
    files: ['src/renderer/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' }
  },
  {
    files: ['bin/**/*.cjs', 'test/electron/**/*.cjs', 'electron-builder.config.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/shared is imported by every layer and imports none of them.' },
          { group: ['electron', ...nodeBuiltins], message: 'src/shared must stay free of Node and Electron.' }
        ]
      }]
    }
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron'], message: 'Only src/main/electron may import electron; the rest of the back end runs under plain Node.' },
          { group: ['**/renderer/**', '**/preload/**', '**/electron/**'], message: 'The back end does not import the UI, the preload or the desktop host.' }
        ]
      }]
    }
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/**', '**/preload/**'], message: 'The renderer talks to the back end only through the WorkbenchClient contract.' },
          { group: ['electron', ...nodeBuiltins], message: 'The renderer runs in a sandboxed page.' }
        ]
      }]
    }
  },
  {
    // Stores hold state and talk to the client; views and components render them, never the reverse.
    files: ['src/renderer/src/stores/**/*.ts'],
    ignores: ['src/renderer/src/stores/**/*.test.ts', 'src/renderer/src/stores/**/*.test-helper.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/main/**', '**/preload/**'], message: 'The renderer talks to the back end only through the WorkbenchClient contract.' },
          { group: ['electron', ...nodeBuiltins], message: 'The renderer runs in a sandboxed page.' },
          { group: ['**/views/**', '**/components/**', '*.vue', '**/*.vue'], message: 'Stores never import views or components; shared logic for both lives in src/renderer/src/lib.' }
        ]
      }]
    }
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/main/**', '**/renderer/**'], message: 'The preload only bridges the shared contract.' }]
      }]
    }
  }
)

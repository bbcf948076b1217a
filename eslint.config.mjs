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

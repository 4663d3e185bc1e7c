import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'coverage/**', 'test-output/**', '.tmp/**', 'docs/reference/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Scripts and examples talk to a person on the terminal.
    files: ['scripts/**', 'examples/**', 'test/support/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The runtime smoke: plain JavaScript for Node, Deno, Bun, workerd and a page alike.
    files: ['test/runtimes/**'],
    languageOptions: { globals: { console: 'readonly', fetch: 'readonly', URL: 'readonly', location: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
)

// Lint: the layering the design depends on, enforced rather than remembered.
//   - src/core (and the CLI) never import `vscode`: they run in the CLI and the unit tier;
//   - the VS Code side is extension.ts → commands/, forms/ → flow/ → views/, hosts/ → core/:
//     commands/ and forms/ never import each other, flow/ imports neither;
//   - the webview bundle imports neither `vscode` nor Node.
// Formatting is prettier's (npm run format); this config only checks code.
import tseslint from 'typescript-eslint';

const layer = (files, message, ...forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((regex) => ({ regex, message })) }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.cache/**', 'node_modules/**', 'test-results/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  layer(
    ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    'the core and the CLI run without VS Code: no vscode, and nothing from the VS Code layers',
    '^vscode$',
    '(^|/)(commands|forms|flow|views|hosts|webview)/',
    '(^|/)extension$',
  ),
  layer(['src/commands/**/*.ts'], 'commands/ and forms/ never import each other: share through flow/', '(^|/)forms/'),
  layer(['src/forms/**/*.ts'], 'commands/ and forms/ never import each other: share through flow/', '(^|/)commands/'),
  layer(['src/flow/**/*.ts'], 'flow/ is what commands/ and forms/ share: it imports neither', '(^|/)(commands|forms)/'),
  layer(['src/views/**/*.ts', 'src/hosts/**/*.ts'], 'views/ and hosts/ sit below commands/, forms/ and flow/', '(^|/)(commands|forms|flow)/'),
  layer(
    ['src/webview/**/*.ts'],
    'the webview runs in the browser: no vscode, no Node, no VS Code layers',
    '^vscode$',
    '^node:',
    '(^|/)(commands|flow/(?!outcome)|views|hosts)/',
  ),
);

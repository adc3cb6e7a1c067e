// The house rules: typescript-eslint's type-checked recommendations, and the layers of
// README "Development" as import boundaries. A module may import only the layers below it; a
// connector only the front door (src/connector/index.ts) and the kernel.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * An import-boundary rule for files of one layer: a relative import that leaves the layer's folder
 * must go to one of the `allowed` folders of src/; nothing of src/ imports a connector.
 */
const layer = (message, allowed) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { regex: `^\\.\\./(?!\\.\\./|${allowed.map((d) => `${d}/`).join('|') || '$^'})`, message },
        { regex: '(^|/)connectors/', message: 'only src/cli/commands.ts (the composition root) imports the connector registry' },
      ],
    },
  ],
});

const FEATURES = ['config', 'bundle', 'verify', 'simulate', 'deploy'];
const DOMAIN = ['formats', 'render', 'cybertrace', 'categories'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/golden/**', 'templates/**', '**/*.generated.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed parameters document a position that is not used.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Parsed JSON, YAML and site options are checked by a schema before use, then read as typed data.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Error messages interpolate numbers and unions of literals on purpose.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // Control characters in regexps are what the escapers look for.
      'no-control-regex': 'off',
      // The contract's interfaces declare callbacks in method syntax; no implementation uses `this`.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
      },
    },
  },
  {
    // The launcher is CommonJS (bin/package.json), so that a run starts no ES module loader.
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Test doubles stand in for async interfaces with synchronous bodies.
      '@typescript-eslint/require-await': 'off',
      // Regexps over YAML text show its indentation as it is.
      'no-regex-spaces': 'off',
    },
  },

  // The layers, from the ground up (README, Development). Inside a folder, modules import each other freely.
  { files: ['src/kernel/**/*.ts'], rules: layer('src/kernel is the ground floor: it imports nothing of the project', []) },
  { files: ['src/model/**/*.ts'], rules: layer('src/model imports only src/kernel', ['kernel']) },
  {
    files: ['src/formats/**/*.ts', 'src/render/**/*.ts'],
    rules: layer('src/formats and src/render import only each other, src/model and src/kernel', ['kernel', 'model', 'formats', 'render']),
  },
  {
    files: ['src/cybertrace/**/*.ts'],
    rules: layer('src/cybertrace imports only formats, render, model and kernel', ['kernel', 'model', 'formats', 'render']),
  },
  {
    files: ['src/categories/**/*.ts'],
    rules: layer('src/categories imports only the domain below it, model and kernel', ['kernel', 'model', 'formats', 'render', 'cybertrace']),
  },
  { files: ['src/connector/**/*.ts'], rules: layer('src/connector imports only the domain, model and kernel', ['kernel', 'model', ...DOMAIN]) },
  {
    files: FEATURES.map((f) => `src/${f}/**/*.ts`),
    rules: layer('a feature imports the features, the connector API, the domain, model and kernel; never the CLI', [
      'kernel',
      'model',
      ...DOMAIN,
      'connector',
      ...FEATURES,
    ]),
  },
  {
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/commands.ts'],
    rules: layer('src/cli imports every layer of src/ but not the connectors', ['kernel', 'model', ...DOMAIN, 'connector', ...FEATURES]),
  },
  {
    files: ['connectors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)src/(?!connector/index\\.js$|kernel/)', message: 'a connector imports only the front door (src/connector/index.js) and src/kernel' },
          ],
        },
      ],
    },
  },
);

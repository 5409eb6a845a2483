// Lint rules the style guide asks for: promises are awaited or voided on purpose, async functions
// await something, every if has braces. Type-aware, so it runs on the project's tsconfig.
import tseslint from 'typescript-eslint';

/** The only file that may import dcmjs-dimse (see the file's header). */
const DCMJS_BRIDGE = 'libs/dicom/src/transport/dcmjs-bridge.ts';
const DCMJS_DIMSE_MESSAGE = `dcmjs-dimse is reached only through ${DCMJS_BRIDGE}, which wraps its private members`;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      curly: 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'no .only in committed tests' },
        { selector: "TSImportType[argument.literal.value='dcmjs-dimse']", message: DCMJS_DIMSE_MESSAGE },
      ],
      'no-restricted-imports': ['error', { paths: [{ name: 'dcmjs-dimse', message: DCMJS_DIMSE_MESSAGE }] }],
    },
  },
  {
    // The one seam to dcmjs-dimse: only the bridge imports it (and relies on its private members).
    files: [DCMJS_BRIDGE],
    rules: {
      'no-restricted-imports': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only']", message: 'no .only in committed tests' },
      ],
    },
  },
);

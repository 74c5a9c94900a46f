// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Folders and the project folders each may import (DESIGN.md's folder table). */
const BOUNDARIES = {
  schemas: [],
  lib: ['schemas'],
  processors: ['lib', 'schemas'],
  api: ['lib', 'schemas'],
  agents: ['lib', 'schemas'],
  bench: ['lib', 'schemas', 'processors', 'api'],
  cli: ['lib', 'schemas', 'processors', 'api', 'agents'],
  // the generators of the reference pages read the code that is the truth for each page (the
  // performance page: the benchmarks' result files)
  docs: ['lib', 'schemas', 'processors', 'api', 'agents', 'cli', 'bench'],
};
const FOLDERS = Object.keys(BOUNDARIES);

/** Relative import specifiers that reach into `folder` from up to four levels deep. */
function reach(folder) {
  return [1, 2, 3, 4].flatMap((depth) => {
    const up = '../'.repeat(depth);
    return [`${up}${folder}`, `${up}${folder}/**`];
  });
}

/** The import patterns `folder` may not use: every project folder it is not allowed to import. */
function forbiddenImports(folder, allowed) {
  return FOLDERS.filter((other) => other !== folder && !allowed.includes(other)).map((other) => ({
    group: reach(other),
    message: `${folder}/ may not import ${other}/: see the folder table in docs/architecture.md.`,
  }));
}

/**
 * Test code: the tests, and the test support beside the code it supports (seeds, harnesses, fixtures,
 * servers that stand in for a webhook endpoint or the Kubernetes API, the deployment's offline
 * checks), in `test-support/` folders. `npm run build` prunes both from `dist/`.
 */
const TEST_CODE = ['**/*.test.ts', '**/test-support/**'];

/** The folders whose code `dist/` ships and the image runs. */
const PRODUCTION = ['schemas', 'lib', 'processors', 'api', 'agents', 'cli'];

/** Production code may not import test code: the build prunes it, so the import would fail at run time. */
const TEST_CODE_SPECIFIER = '(^|/)test-support/|\\.test\\.js$';
const TEST_CODE_MESSAGE =
  'production code may not import tests or test support (test-support/ folders): the build leaves them out of dist/.';
const TEST_CODE_IMPORT = { regex: TEST_CODE_SPECIFIER, message: TEST_CODE_MESSAGE };
/** The same for `import()`, which no-restricted-imports does not see. */
const TEST_CODE_DYNAMIC_IMPORT = {
  selector: `ImportExpression[source.value=/${TEST_CODE_SPECIFIER.replaceAll('/', '\\/')}/]`,
  message: TEST_CODE_MESSAGE,
};

const boundaryRules = Object.entries(BOUNDARIES).flatMap(([folder, allowed]) => {
  const patterns = forbiddenImports(folder, allowed);
  if (!PRODUCTION.includes(folder)) {
    return [{ files: [`${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } }];
  }
  return [
    {
      files: [`${folder}/**/*.ts`],
      ignores: TEST_CODE,
      rules: {
        'no-restricted-imports': ['error', { patterns: [...patterns, TEST_CODE_IMPORT] }],
        'no-restricted-syntax': ['error', TEST_CODE_DYNAMIC_IMPORT],
      },
    },
    {
      files: TEST_CODE.map((pattern) => `${folder}/${pattern}`),
      rules: { 'no-restricted-imports': ['error', { patterns }] },
    },
  ];
});

/**
 * The API's test seeds build their ClickHouse rows with the processors' own pure functions (the
 * mappers, and the dead-letter row of a poison message), so a seeded row is exactly what ingest
 * stores and cannot drift from it. Only these two modules, only from these test-support files: the
 * API's production code still may not import processors/.
 */
const API_TEST_SEEDS = ['api/test-support/seed.ts', 'api/diagnosis/test-support/seed.ts'];
const SEED_IMPORTS = ['mappers.js', 'dead-letter.js'];

const apiTestSeedRule = {
  files: API_TEST_SEEDS,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbiddenImports('api', [...BOUNDARIES.api, 'processors']),
          {
            // gitignore semantics: a file is re-included (`!`) only when its folder itself is not excluded
            group: [1, 2, 3, 4].flatMap((depth) => [
              `${'../'.repeat(depth)}processors/**`,
              ...SEED_IMPORTS.map((file) => `!${'../'.repeat(depth)}processors/${file}`),
            ]),
            message: `api/ test seeds may import only processors/${SEED_IMPORTS.join(' and processors/')}.`,
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', '.state/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver': { typescript: true, node: true },
      // dependencies are parsed too, so that no-cycle can follow imports through .ts files
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // `const { omitted, ...rest } = value` is how a field is left out of a copy
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'import-x/no-cycle': 'error',
      'import-x/no-unresolved': 'error',
      'import-x/no-self-import': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  ...boundaryRules,
  apiTestSeedRule,
  prettier,
);

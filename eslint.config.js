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
    message: `${folder}/ may not import ${other}/: see the folder table in DESIGN.md.`,
  }));
}

const boundaryRules = Object.entries(BOUNDARIES).map(([folder, allowed]) => ({
  files: [`${folder}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns: forbiddenImports(folder, allowed) }] },
}));

/**
 * The API's test seeds build their ClickHouse rows with the processors' own pure functions (the
 * mappers, and the dead-letter row of a poison message), so a seeded row is exactly what ingest
 * stores and cannot drift from it. Only these two modules, only from these test-only files: the
 * API's production code still may not import processors/.
 */
const API_TEST_SEEDS = ['api/test/seed.ts', 'api/diagnosis/seed.ts'];
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
  { ignores: ['dist/**', 'node_modules/**', '.state/**', 'coverage/**'] },
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

import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineSlice, isSecretVariable, positiveInt, sliceReference } from './slice.js';

const slice = defineSlice({
  name: 'example',
  title: 'Example',
  summary: 'A slice for the tests.',
  variables: {
    EXAMPLE_HOSTS: z
      .string()
      .default('a:1,b:2')
      .transform((value) => value.split(','))
      .pipe(z.array(z.string()).min(1))
      .describe('hosts'),
    EXAMPLE_SIZE: positiveInt(5, 10).describe('size'),
    EXAMPLE_TOKEN: z.string().optional().describe('a token'),
    EXAMPLE_HOST: z.string().optional().meta({ description: 'host', unset: 'derived from the token' }),
  },
  check: (env, ctx) => {
    if (env.EXAMPLE_SIZE > 8 && env.EXAMPLE_TOKEN === undefined) {
      ctx.addIssue({ code: 'custom', path: ['EXAMPLE_TOKEN'], message: 'needed above 8' });
    }
  },
  build: (e) => ({ hosts: e.EXAMPLE_HOSTS, size: e.EXAMPLE_SIZE, host: e.EXAMPLE_HOST ?? 'derived' }),
});

describe('defineSlice', () => {
  it('parses the variables, applies the check and builds the component shape', () => {
    expect(slice.schema.parse({})).toEqual({ hosts: ['a:1', 'b:2'], size: 5, host: 'derived' });
    const failed = slice.schema.safeParse({ EXAMPLE_SIZE: '9' });
    expect(failed.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [['EXAMPLE_TOKEN'], 'needed above 8'],
    ]);
  });

  it('lists each variable with its default as written, its meaning and whether it is secret', () => {
    expect(sliceReference(slice)).toEqual([
      {
        name: 'EXAMPLE_HOSTS',
        defaultValue: 'a:1,b:2',
        unset: undefined,
        description: 'hosts',
        secret: false,
      },
      { name: 'EXAMPLE_SIZE', defaultValue: '5', unset: undefined, description: 'size', secret: false },
      {
        name: 'EXAMPLE_TOKEN',
        defaultValue: undefined,
        unset: undefined,
        description: 'a token',
        secret: true,
      },
      {
        name: 'EXAMPLE_HOST',
        defaultValue: undefined,
        unset: 'derived from the token',
        description: 'host',
        secret: false,
      },
    ]);
  });
});

describe('isSecretVariable', () => {
  it('knows credentials by their names', () => {
    for (const name of ['API_AUTH_TOKEN', 'CLICKHOUSE_PASSWORD', 'LLM_API_KEY', 'X_SECRET']) {
      expect(isSecretVariable(name), name).toBe(true);
    }
    expect(isSecretVariable('ORACLE_KUBERNETES_TOKEN_FILE')).toBe(false);
  });
});

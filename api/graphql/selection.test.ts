import { buildSchema, graphql, type GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import { errorColumnsFor } from '../read-models/errors.js';
import { selectedFields } from './selection.js';

const schema = buildSchema(`
  type Query { page: Page }
  type Page { total: Int, next: String, items: [Item] }
  type Item { id: String, message: String, timestamp: String, stack: String }
`);

/** What `selectedFields` says, from inside the resolver of `page`, for this document. */
async function selection(source: string, path: string[] = [], variables = {}): Promise<string[]> {
  let seen: string[] = [];
  const result = await graphql({
    schema,
    source,
    variableValues: variables,
    rootValue: {
      page: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
        seen = [...selectedFields(info, path)].sort();
        return {};
      },
    },
  });
  expect(result.errors).toBeUndefined();
  return seen;
}

describe('selectedFields', () => {
  it('names the fields below the resolved one, by name rather than alias', async () => {
    expect(await selection('{ page { total n: next items { id } } }')).toEqual(['items', 'next', 'total']);
    expect(await selection('{ page { total items { a: id b: message } } }', ['items'])).toEqual([
      'id',
      'message',
    ]);
  });

  it('follows named and inline fragments, each read once', async () => {
    const source = `
      query { page { ...P items { ... on Item { stack } } } }
      fragment P on Page { items { ...I ...I } }
      fragment I on Item { id timestamp }`;
    expect(await selection(source, ['items'])).toEqual(['id', 'stack', 'timestamp']);
  });

  it('keeps a field under @skip: a superset only reads more', async () => {
    const source = 'query ($s: Boolean!) { page { items { id message @skip(if: $s) } } }';
    expect(await selection(source, ['items'], { s: true })).toEqual(['id', 'message']);
  });

  it('is empty below a field that was not selected', async () => {
    expect(await selection('{ page { total } }', ['items'])).toEqual([]);
  });
});

describe('errorColumnsFor', () => {
  it('reads the columns of the fields, with the id and time that order a page', () => {
    expect(errorColumnsFor(new Set(['severity', 'error_message']))).toEqual([
      'error_id',
      'severity',
      'error_message',
      'timestamp_ms',
    ]);
    expect(errorColumnsFor(new Set(['timestamp']))).toEqual(['error_id', 'timestamp_ms']);
  });

  it('reads every column for a field it does not know', () => {
    expect(errorColumnsFor(new Set(['error_id', 'something_computed'])).length).toBeGreaterThan(30);
  });
});

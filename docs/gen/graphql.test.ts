import { describe, expect, it } from 'vitest';
import { moduleSdl, renderGraphqlReference, servedSchema } from './graphql.js';

describe('the GraphQL reference', () => {
  it('documents every root field and type of the served schema, as docs/reference/graphql.md has it', async () => {
    const modules = moduleSdl();
    const schema = servedSchema(modules);
    const text = renderGraphqlReference(modules);
    for (const field of Object.keys(schema.getQueryType()?.getFields() ?? {})) {
      expect(text).toContain(`\`Query.${field}\``);
    }
    await expect(text).toMatchFileSnapshot('../reference/graphql.md');
  });
});

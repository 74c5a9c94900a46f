import { describe, expect, it } from 'vitest';
import { renderRestReference, servedOpenApi } from './rest.js';

describe('the REST reference', () => {
  it('documents every route the API serves, as docs/reference/rest.md has it', async () => {
    const doc = await servedOpenApi();
    const text = renderRestReference(doc);
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods))
        expect(text).toContain(`\`${method.toUpperCase()} ${path}\``);
    }
    await expect(text).toMatchFileSnapshot('../reference/rest.md');
  });
});

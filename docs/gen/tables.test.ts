import { describe, expect, it } from 'vitest';
import { readTableSources, renderTablesReference } from './tables.js';

describe('the table reference', () => {
  it('documents every table and view the migrations create, as docs/reference/tables.md has it', async () => {
    const text = renderTablesReference(await readTableSources());
    await expect(text).toMatchFileSnapshot('../reference/tables.md');
  });
});

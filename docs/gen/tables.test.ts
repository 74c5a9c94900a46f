import { format, resolveConfig } from 'prettier';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTableSources, renderTableMeaningsModule, renderTablesReference } from './tables.js';

describe('the table reference', () => {
  it('documents every table and view the migrations create, as docs/reference/tables.md has it', async () => {
    const text = renderTablesReference(await readTableSources());
    await expect(text).toMatchFileSnapshot('../reference/tables.md');
  });

  it('gives the API the same meanings, as lib/tables/meanings.ts has them', async () => {
    const file = fileURLToPath(new URL('../../lib/tables/meanings.ts', import.meta.url));
    const text = await format(renderTableMeaningsModule(await readTableSources()), {
      ...(await resolveConfig(file)),
      filepath: file,
    });
    await expect(text).toMatchFileSnapshot('../../lib/tables/meanings.ts');
  });
});

import { describe, expect, it } from 'vitest';
import { listMcpServer, renderMcpReference } from './mcp-tools.js';

describe('the MCP reference', () => {
  it('documents every tool and resource the server lists, as docs/reference/mcp-tools.md has it', async () => {
    const listing = await listMcpServer();
    expect(listing.tools.length).toBeGreaterThan(0);
    const text = renderMcpReference(listing);
    for (const tool of listing.tools) expect(text).toContain(`### \`${tool.name}\``);
    for (const resource of listing.resources) expect(text).toContain(resource.uri);
    await expect(text).toMatchFileSnapshot('../reference/mcp-tools.md');
  });
});

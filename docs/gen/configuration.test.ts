import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../lib/config.js';
import { renderConfiguration } from './configuration.js';

describe('the configuration reference', () => {
  it('lists every variable, secrets marked', () => {
    const text = renderConfiguration();
    for (const name of CONFIG_VARIABLES) expect(text).toContain(`| \`${name}\``);
    expect(text).toContain('| `API_AUTH_TOKEN` (secret) | unset |');
    expect(text).toContain('| `API_HOST` | `127.0.0.1`, or `0.0.0.0` with `API_AUTH_TOKEN` |');
  });

  it('is the committed page', async () => {
    await expect(renderConfiguration()).toMatchFileSnapshot('../reference/configuration.md');
  });
});

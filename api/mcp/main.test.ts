import { describe, expect, it } from 'vitest';
import { hostAllowed } from './main.js';

describe('the Host check of mcp --http on a loopback address', () => {
  it('takes loopback names with or without a port', () => {
    for (const host of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'localhost']) {
      expect(hostAllowed('127.0.0.1', host)).toBe(true);
    }
  });

  it('refuses other names (DNS rebinding) and a missing Host', () => {
    expect(hostAllowed('127.0.0.1', 'attacker.example:8765')).toBe(false);
    expect(hostAllowed('127.0.0.1', undefined)).toBe(false);
  });

  it('leaves a server on another address to its network policy', () => {
    expect(hostAllowed('0.0.0.0', 'mcp.internal:8765')).toBe(true);
  });
});

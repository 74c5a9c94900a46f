import { describe, expect, it } from 'vitest';
import { inertProgram, renderCliReference } from './cli.js';

describe('the CLI reference', () => {
  it('documents every command, as docs/reference/cli.md has it', async () => {
    const program = inertProgram();
    const text = renderCliReference(program);
    for (const command of program.commands) expect(text).toContain(`\`agent-telemetry ${command.name()}\``);
    await expect(text).toMatchFileSnapshot('../reference/cli.md');
  });
});

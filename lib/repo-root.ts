import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder (the one holding `scripts/stack.sh`), from source or from `dist/`. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'scripts', 'stack.sh'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find scripts/stack.sh above the CLI module');
}

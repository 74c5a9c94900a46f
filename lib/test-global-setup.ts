import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Integration-tier global setup: some tests run the real `agent-telemetry` binary from `dist/`, so
 * rebuild it when a source file is newer than the build.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(ts|sql|avsc)$/.test(name)) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const sources = ['schemas', 'lib', 'processors', 'api', 'agents', 'cli']
    .map((d) => join(root, d))
    .filter(existsSync);
  const newest = Math.max(...sources.map(newestSource));
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest) {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
}

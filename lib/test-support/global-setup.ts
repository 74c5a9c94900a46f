import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Integration-tier global setup: some tests run the real `agent-telemetry` binary from `dist/`, so
 * rebuild it when a source file is newer than the build. The build is the production one: tests,
 * test support and benchmarks are pruned from `dist/` as `npm run build` prunes them.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
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

/**
 * Emits `dist/` in place: one build at a time on this checkout (flock), no `rm -rf` under a test that
 * is running the binary, and JavaScript emitted even when some file has a type error (tsc still
 * emits), because the type check is its own step of `scripts/test.sh` and names those errors itself.
 */
function build(): void {
  mkdirSync(join(root, '.state'), { recursive: true });
  const script = [
    'npx tsc -p tsconfig.json >.state/test-build.log 2>&1 || echo "test build: type errors (see .state/test-build.log)" >&2',
    'test -f dist/cli/main.js',
    'npm run --silent build:assets',
    'npm run --silent build:prune',
  ].join(' && ');
  execFileSync('flock', [join(root, '.state', 'test-build.lock'), 'sh', '-c', script], {
    cwd: root,
    stdio: 'inherit',
  });
}

export default function setup(): void {
  const sources = ['schemas', 'lib', 'processors', 'api', 'agents', 'cli']
    .map((d) => join(root, d))
    .filter(existsSync);
  const newest = Math.max(...sources.map(newestSource));
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest) build();
}

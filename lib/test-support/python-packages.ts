import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How to run Python with the packages of a requirements file: the interpreter and its environment. */
export interface PythonWithPackages {
  python: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Installs the packages of `requirementsFile` from PyPI, once, into a folder of the stack's cache
 * named by the file's hash (`pip install --target`, as `scripts/stack.sh` installs chdb-core: no
 * virtual environment, so Debian's python3 without python3-venv will do), and says how to run
 * python3 with them. A failed or interrupted install is started again.
 */
export async function pythonWithPackages(requirementsFile: string): Promise<PythonWithPackages> {
  const python = 'python3';
  const requirements = await readFile(requirementsFile);
  const hash = createHash('sha256').update(requirements).digest('hex').slice(0, 12);
  const cache = process.env.AGENT_TELEMETRY_CACHE_DIR ?? join(homedir(), '.cache', 'agent-telemetry');
  const target = join(cache, `python-packages-${hash}`);
  const complete = join(target, '.complete');
  if (!existsSync(complete)) {
    await rm(target, { recursive: true, force: true });
    const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet'];
    try {
      await run(python, [...pip, '--target', target, '-r', requirementsFile], {
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(
        `pip install -r ${requirementsFile} with ${python} failed (Python 3.9+ with pip and PyPI are needed): ${stderr ?? String(error)}`,
      );
    }
    await writeFile(complete, '');
  }
  return { python, env: { ...process.env, PYTHONPATH: target, PYTHONDONTWRITEBYTECODE: '1' } };
}

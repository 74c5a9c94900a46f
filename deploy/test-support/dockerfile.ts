import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A static reading of deploy/Dockerfile (no Docker engine runs here): its instructions, its
 * stages, and the rules the image must follow.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined; comments and parser directives dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(full);
    if (match?.[1] !== undefined) {
      instructions.push({ keyword: match[1].toUpperCase(), args: match[2] ?? '', line: startLine });
    }
  });
  return instructions;
}

/** Splits instructions into stages; `ARG`s before the first FROM are substituted into FROMs. */
export function stages(instructions: Instruction[]): Stage[] {
  const globals: Record<string, string> = {};
  const result: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'ARG' && result.length === 0) {
      const [name, value] = instruction.args.split('=', 2);
      if (name !== undefined && value !== undefined) globals[name.trim()] = value.trim();
      continue;
    }
    if (instruction.keyword === 'FROM') {
      const words = instruction.args
        .replace(/\$\{(\w+)\}/g, (_, name: string) => globals[name] ?? '')
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'));
      const alias = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      result.push({ from: words[0] ?? '', name: alias, instructions: [] });
      continue;
    }
    result.at(-1)?.instructions.push(instruction);
  }
  return result;
}

/** Exec-form (JSON array) arguments, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Sources of a COPY/ADD from the build context (not `--from=` another stage). */
export function contextSources(instruction: Instruction): string[] {
  const words = instruction.args.split(/\s+/).filter((word) => word.length > 0);
  if (words.some((word) => word.startsWith('--from='))) return [];
  const paths = words.filter((word) => !word.startsWith('--'));
  return paths.slice(0, -1);
}

/** Problems with the image definition, as lines; none means it follows the rules. */
export function lintDockerfile(text: string, repoRoot: string, cliCommands: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const all = parseDockerfile(text);
  const parts = stages(all);
  if (parts.length < 2) problems.push(`one stage; a build stage and a runtime stage are expected`);
  const final = parts.at(-1);
  if (final === undefined) return [...problems, 'no FROM'];
  for (const stage of parts) {
    const node = /^node:(\d+)(-[a-z0-9-]+)?$/.exec(stage.from);
    const earlier = parts.some((other) => other.name !== undefined && other.name === stage.from);
    if (!earlier && (node?.[1] === undefined || Number(node[1]) % 2 !== 0 || Number(node[1]) < 22)) {
      problems.push(`FROM ${stage.from}: expected an even-numbered (LTS) node image, 22 or newer`);
    }
  }
  if (!/CKJS_LINKING=dynamic/.test(text)) problems.push('librdkafka is not built with CKJS_LINKING=dynamic');
  if (!parts[0]?.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))) {
    problems.push('the first stage does not install with npm ci');
  }
  for (const instruction of all.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
    for (const source of contextSources(instruction)) {
      if (!existsSync(join(repoRoot, source)))
        problems.push(`line ${instruction.line}: COPY source ${source} does not exist`);
    }
  }
  const user = final.instructions
    .filter((i) => i.keyword === 'USER')
    .at(-1)
    ?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0')
    problems.push('the runtime stage does not switch to a non-root USER');
  else if (!/^\d+$/.test(user))
    problems.push(`USER ${user}: a numeric uid lets Kubernetes verify runAsNonRoot`);
  if (
    final.instructions.some((i) => /build-essential|g\+\+|\bgcc\b|-dev\b/.test(i.args) && i.keyword === 'RUN')
  ) {
    problems.push('the runtime stage installs compilers or -dev packages');
  }
  const healthcheck = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
  const check = execForm(healthcheck?.args.replace(/^(--\S+\s+)*CMD\s+/, '') ?? '');
  if (healthcheck === undefined || check === undefined)
    problems.push('no exec-form HEALTHCHECK in the runtime stage');
  else {
    if (check[0] !== 'node')
      problems.push(`HEALTHCHECK runs ${check[0] ?? ''}, not node (no curl in the image)`);
    const command = check[check.indexOf('/app/dist/cli/main.js') + 1];
    if (!check.includes('/app/dist/cli/main.js') || command === undefined || !cliCommands.has(command)) {
      problems.push(`HEALTHCHECK does not run a command of the binary: ${JSON.stringify(check)}`);
    }
  }
  const entry = execForm(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '');
  if (entry?.[0] !== 'node' || entry[1] !== '/app/dist/cli/main.js') {
    problems.push(
      'ENTRYPOINT is not ["node", "/app/dist/cli/main.js"] (the manifests pass commands as args)',
    );
  }
  return problems;
}

/**
 * Packages the image's entry points import that `npm prune --omit=dev` would remove: bare
 * specifiers of the sources under `folders` that are not in package.json `dependencies`, leaving out
 * tests and `test-support/` folders (the build prunes both from dist/).
 * Type-only imports are erased by the compiler and do not count.
 */
export function importsOutsideDependencies(
  repoRoot: string,
  folders: readonly string[],
  dependencies: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test-support') visit(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const source = readFileSync(path, 'utf8').replace(/^\s*(import|export) type [^;]*;/gm, '');
        for (const match of source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'([^'.][^']*)'/g)) {
          const specifier = match[1] ?? '';
          if (specifier.startsWith('node:')) continue;
          const parts = specifier.split('/');
          const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
          if (!dependencies.has(name))
            problems.push(`${relative(repoRoot, path)} imports ${name}, which is not a runtime dependency`);
        }
      }
    }
  };
  for (const folder of folders) visit(join(repoRoot, folder));
  return problems;
}

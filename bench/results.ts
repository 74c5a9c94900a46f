import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureOutput, type OutputCapture } from './report.js';

/**
 * The output file of a benchmark run: `bench/results/<bench>[-<variant>].json`, the latest run of
 * each benchmark and set of options, committed beside the code it measured. `docs/performance.md` is
 * rendered from these files (`docs/gen/performance.ts`), so the page shows figures as the runs
 * printed them, with their date, commit and machine.
 */

/** Bumped when a field changes meaning; readers refuse other versions. */
export const RESULT_FORMAT = 1;

/** The folder of the committed result files, relative to the repository root. */
export const RESULTS_FOLDER = 'bench/results';

/** A RESULT figure: a number, several (`a/b`), or null for one not measured (`n/a`, `nan`). */
export type Figure = number | number[] | null;

export interface Machine {
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  /** `type release arch`, e.g. `Linux 6.8.0 x64`, and the distribution's name when known. */
  os: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
}

export interface Commit {
  sha: string;
  /**
   * Whether tracked files other than the result files and the page rendered from them had
   * uncommitted changes at the start (untracked files do not count: a run uses one only through a
   * tracked file that changed).
   */
  dirty: boolean;
}

export interface BenchRecord {
  format: typeof RESULT_FORMAT;
  bench: string;
  /** The options given, canonical (see {@link variantOf}); null at the defaults. */
  variant: string | null;
  argv: string[];
  /** The options as the benchmark resolved them, defaults included. */
  options: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  commit: Commit | null;
  machine: Machine;
  exitCode: number;
  result: { line: string; figures: Record<string, Figure> };
  /** Every line the run printed to stdout, the RESULT line last. */
  output: string[];
}

/** `RESULT a=1 b=n/a c=3/4` → `{ a: 1, b: null, c: [3, 4] }`; undefined when it is no RESULT line. */
export function parseResultLine(line: string): Record<string, Figure> | undefined {
  const match = /^RESULT((?:\s+\S+=\S*)+)\s*$/.exec(line);
  if (match?.[1] === undefined) return undefined;
  const figures: Record<string, Figure> = {};
  for (const pair of match[1].trim().split(/\s+/)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    const parts = raw.split('/').map(Number);
    const numeric = raw !== '' && parts.every(Number.isFinite);
    figures[name] = !numeric ? null : parts.length === 1 ? (parts[0] ?? null) : parts;
  }
  return figures;
}

/**
 * The options of a command line in a canonical order, as a file-name part: `--rate 200
 * --no-peer` → `no-peer-rate-200`; undefined for none. Options come as `--name value`, `--name=value`
 * or a lone `--flag`.
 */
export function variantOf(argv: readonly string[]): string | undefined {
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (!token.startsWith('--')) continue;
    const [name, inline] = token.slice(2).split(/=(.*)/s, 2);
    const next = argv[i + 1];
    const value = inline ?? (next !== undefined && !next.startsWith('--') ? (i++, next) : undefined);
    options.push(value === undefined ? `${name}` : `${name}-${value}`);
  }
  if (options.length === 0) return undefined;
  return options
    .sort()
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The repository root: the nearest folder above this module that holds a package.json. */
export function repositoryRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/**
 * Where a run writes its file, from the environment: `BENCH_RESULTS_DIR=<dir>` a folder of one's
 * own (relative to the working directory), `BENCH_RESULTS_DIR=off` nothing. Unset, the committed
 * folder, except under a test runner or in CI (`VITEST`, `CI`), which never write into the
 * repository unless told where.
 */
export function resultsDir(
  env: NodeJS.ProcessEnv,
  root: string,
  cwd: string = process.cwd(),
): string | undefined {
  const chosen = env.BENCH_RESULTS_DIR;
  if (chosen === 'off') return undefined;
  if (chosen !== undefined && chosen !== '') return resolve(cwd, chosen);
  if (isSet(env.CI) || isSet(env.VITEST)) return undefined;
  return join(root, RESULTS_FOLDER);
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

export function resultFileName(bench: string, variant: string | undefined): string {
  return `${bench}${variant === undefined ? '' : `-${variant}`}.json`;
}

function loads(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

function distribution(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** This machine, with the load average now as both start and end (the end is set when the run ends). */
export function describeMachine(): Machine {
  const now = loads();
  const distro = distribution();
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
    os: `${type()} ${release()} ${arch()}${distro === undefined ? '' : ` (${distro})`}`,
    node: process.version,
    loadAverage: { start: now, end: now },
  };
}

/** HEAD of the repository at `root` and whether anything but results changed; null outside git. */
export function describeCommit(root: string): Commit | null {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const sha = git('rev-parse', 'HEAD').trim();
    const changes = git(
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      '.',
      `:(exclude)${RESULTS_FOLDER}`,
      ':(exclude)docs/performance.md',
    );
    return { sha, dirty: changes.trim() !== '' };
  } catch {
    return null;
  }
}

/** The record of a finished run from what it printed; undefined when it printed no RESULT line. */
export function buildRecord(input: {
  bench: string;
  argv: readonly string[];
  options: Record<string, unknown>;
  started: Date;
  finished: Date;
  commit: Commit | null;
  machine: Machine;
  exitCode: number;
  output: readonly string[];
}): BenchRecord | undefined {
  const line = input.output.findLast((l) => parseResultLine(l) !== undefined);
  if (line === undefined) return undefined;
  return {
    format: RESULT_FORMAT,
    bench: input.bench,
    variant: variantOf(input.argv) ?? null,
    argv: [...input.argv],
    options: JSON.parse(JSON.stringify(input.options)) as Record<string, unknown>,
    startedAt: input.started.toISOString(),
    finishedAt: input.finished.toISOString(),
    durationSeconds: Math.round((input.finished.getTime() - input.started.getTime()) / 1000),
    commit: input.commit,
    machine: input.machine,
    exitCode: input.exitCode,
    result: { line, figures: parseResultLine(line) ?? {} },
    output: [...input.output],
  };
}

/** Writes the record as `<dir>/<bench>[-<variant>].json` (whole or not at all); returns the path. */
export function writeRecord(dir: string, record: BenchRecord): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, resultFileName(record.bench, record.variant ?? undefined));
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(partial, path);
  return path;
}

export interface Recording {
  /** The options as resolved, defaults included (kept as given until then). */
  setOptions(options: object): void;
  /**
   * Ends the recording and writes the file when the run printed a RESULT line; reports where on
   * stderr, so that the RESULT line stays the last line of stdout. Returns the path written.
   */
  finish(exitCode: number): string | undefined;
}

/**
 * Starts recording a run of `bench` where it begins: the date, commit, machine and load now, and
 * every line it prints through `say` from here on.
 */
export function recordBenchRun(bench: string, argv: readonly string[], env: NodeJS.ProcessEnv): Recording {
  const root = repositoryRoot();
  const dir = resultsDir(env, root);
  const started = new Date();
  const machine = describeMachine();
  const commit = describeCommit(root);
  const capture: OutputCapture = captureOutput();
  let options: Record<string, unknown> = { argv: [...argv] };
  let finished = false;
  return {
    setOptions(resolved) {
      options = { ...resolved };
    },
    finish(exitCode) {
      if (finished) return undefined;
      finished = true;
      capture.stop();
      if (dir === undefined) return undefined;
      const record = buildRecord({
        bench,
        argv,
        options,
        started,
        finished: new Date(),
        commit,
        machine: { ...machine, loadAverage: { start: machine.loadAverage.start, end: loads() } },
        exitCode,
        output: capture.lines,
      });
      if (record === undefined) {
        process.stderr.write(`bench: no RESULT line, so no result file\n`);
        return undefined;
      }
      const path = writeRecord(dir, record);
      process.stderr.write(`bench: wrote ${relative(process.cwd(), path) || path}\n`);
      return path;
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** A consumer under test running as a child process, so its memory and CPU are its own. */
export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
  /** Whether the child is still running. */
  running(): boolean;
  /** The last lines the child wrote to stderr, for error reports. */
  stderrTail(): string;
  /** Peak resident set size so far (VmHWM of /proc/<pid>/status), in MiB; undefined once exited. */
  peakRssMb(): number | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  script: URL;
  args?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Extra node flags (for example `--cpu-prof`). */
  nodeFlags?: readonly string[];
  /** Each line the child writes to stdout. */
  onStdoutLine?: (line: string) => void;
  /** Each line the child writes to stderr; by default they are copied to our stderr, prefixed. */
  onStderrLine?: (line: string) => void;
}

const TAIL_LINES = 30;

export function spawnBenchChild(options: SpawnOptions): BenchChild {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), options.script.pathname, ...(options.args ?? [])],
    { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.name}`);
  const tail: string[] = [];
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    // 'close' comes after the child exited and its stdout and stderr were read to the end
    child.once('close', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => options.onStdoutLine?.(line));
  }
  if (child.stderr !== null) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (options.onStderrLine !== undefined) options.onStderrLine(line);
      else process.stderr.write(`[${options.name}] ${line}\n`);
    });
  }
  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    pid,
    exited,
    running: () => !done,
    stderrTail: () => tail.join('\n'),
    peakRssMb: () => (done ? undefined : readPeakRssMb(pid)),
    stop(graceMs = 30_000) {
      stopping ??= (async () => {
        if (done) return;
        child.kill('SIGTERM');
        const outcome = await Promise.race([exited, sleep(graceMs, 'timeout' as const, { ref: false })]);
        if (outcome === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/** VmHWM of a process, in MiB (Linux); undefined when it cannot be read. */
export function readPeakRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** A TCP port that was free a moment ago (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

/** Polls `url` until it answers 200; fails if the child exits first or `timeoutMs` passes. */
export async function waitForHttpOk(
  url: string,
  child: BenchChild,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    if (!child.running()) throw childFailure(child, 'exited before it was ready');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw childFailure(child, `not ready after ${timeoutMs / 1000} s`);
    await sleep(10, undefined, { signal });
  }
}

/** An error naming the child and carrying the tail of its stderr. */
export function childFailure(child: BenchChild, what: string): Error {
  const tail = child.stderrTail();
  return new Error(`${child.name} ${what}${tail === '' ? '' : `; its last log lines:\n${tail}`}`);
}

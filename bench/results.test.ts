import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { say } from './report.js';
import {
  buildRecord,
  describeCommit,
  describeMachine,
  parseResultLine,
  recordBenchRun,
  repositoryRoot,
  resultFileName,
  resultsDir,
  variantOf,
  writeRecord,
  type BenchRecord,
} from './results.js';

const machine = {
  cpuModel: 'Test CPU',
  cpus: 2,
  memoryBytes: 8 * 1024 ** 3,
  os: 'Linux 6.1.0 x64',
  node: 'v20.19.0',
  loadAverage: { start: [1.5, 1, 0.5], end: [2, 1.2, 0.6] },
};

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

function record(output: string[], argv: string[] = []): BenchRecord | undefined {
  return buildRecord({
    bench: 'ingest',
    argv,
    options: { messages: 10, cpuProfDir: undefined },
    started: new Date('2026-12-06T07:00:00.000Z'),
    finished: new Date('2026-12-06T07:03:20.400Z'),
    commit: { sha: 'a'.repeat(40), dirty: false },
    machine,
    exitCode: 0,
    output,
  });
}

describe('bench result files', () => {
  it('parses a RESULT line into numbers, lists and nulls', () => {
    expect(
      parseResultLine(
        'RESULT ingest_msgs_per_s=195 peer_msgs_per_s=n/a ratio=0.64 cpu=nan per_process_msgs_per_s=173/200',
      ),
    ).toEqual({
      ingest_msgs_per_s: 195,
      peer_msgs_per_s: null,
      ratio: 0.64,
      cpu: null,
      per_process_msgs_per_s: [173, 200],
    });
    expect(parseResultLine('summary: RESULT is below')).toBeUndefined();
    expect(parseResultLine('RESULT')).toBeUndefined();
  });

  it('names a variant by its options in a canonical order', () => {
    expect(variantOf([])).toBeUndefined();
    const a = variantOf(['--payload-bytes', '102400', '--messages', '10000', '--no-peer']);
    expect(a).toBe('messages-10000-no-peer-payload-bytes-102400');
    expect(variantOf(['--no-peer', '--messages=10000', '--payload-bytes', '102400'])).toBe(a);
    expect(variantOf(['--only', 'healthy,mixed-1'])).toBe('only-healthy-mixed-1');
    expect(resultFileName('soak', variantOf(['--seconds', '120']))).toBe('soak-seconds-120.json');
    expect(resultFileName('api', undefined)).toBe('api.json');
  });

  it('writes into the repository only when nothing says otherwise', () => {
    expect(resultsDir({}, '/repo')).toBe('/repo/bench/results');
    expect(resultsDir({ BENCH_RESULTS_DIR: 'off' }, '/repo')).toBeUndefined();
    expect(resultsDir({ BENCH_RESULTS_DIR: 'out' }, '/repo', '/home/me')).toBe('/home/me/out');
    expect(resultsDir({ VITEST: 'true' }, '/repo')).toBeUndefined();
    expect(resultsDir({ CI: 'true' }, '/repo')).toBeUndefined();
    expect(resultsDir({ CI: 'true', BENCH_RESULTS_DIR: '/tmp/r' }, '/repo')).toBe('/tmp/r');
  });

  it('keeps the run: when, where, what it printed and its figures', () => {
    const output = ['ingest benchmark x', 'RESULT ingest_msgs_per_s=100 ratio=n/a', 'removed'];
    expect(record(output, ['--messages', '10'])).toEqual({
      format: 1,
      bench: 'ingest',
      variant: 'messages-10',
      argv: ['--messages', '10'],
      options: { messages: 10 },
      startedAt: '2026-12-06T07:00:00.000Z',
      finishedAt: '2026-12-06T07:03:20.400Z',
      durationSeconds: 200,
      commit: { sha: 'a'.repeat(40), dirty: false },
      machine,
      exitCode: 0,
      result: { line: output[1], figures: { ingest_msgs_per_s: 100, ratio: null } },
      output,
    });
    expect(record(['bench: failed'])).toBeUndefined();
  });

  it('writes one file per benchmark and variant, replacing the last run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    const first = defined(record(['RESULT a=1']));
    const path = writeRecord(dir, first);
    writeRecord(dir, { ...first, result: { line: 'RESULT a=2', figures: { a: 2 } } });
    expect(path).toBe(join(dir, 'ingest.json'));
    expect(readdirSync(dir)).toEqual(['ingest.json']);
    expect((JSON.parse(readFileSync(path, 'utf8')) as BenchRecord).result.figures).toEqual({ a: 2 });
  });

  it('records what is said between its start and its end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
    say('before');
    const recording = recordBenchRun('soak', ['--seconds', '5'], { BENCH_RESULTS_DIR: dir });
    recording.setOptions({ seconds: 5 });
    say('  check ok');
    say('RESULT produced=10 lost=0');
    const path = recording.finish(0);
    say('after');
    expect(recording.finish(0)).toBeUndefined();
    const written = JSON.parse(readFileSync(defined(path), 'utf8')) as BenchRecord;
    expect(written).toMatchObject({
      bench: 'soak',
      variant: 'seconds-5',
      options: { seconds: 5 },
      output: ['  check ok', 'RESULT produced=10 lost=0'],
      result: { figures: { produced: 10, lost: 0 } },
    });
    expect(written.machine.loadAverage.end).toHaveLength(3);
  });

  it('describes this machine and checkout', () => {
    const here = describeMachine();
    expect(here.cpus).toBeGreaterThan(0);
    expect(here.node).toBe(process.version);
    expect(describeCommit(repositoryRoot())?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(describeCommit(tmpdir())).toBeNull();
  });
});

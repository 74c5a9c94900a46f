import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  RESULT_FORMAT,
  RESULTS_FOLDER,
  repositoryRoot,
  type BenchRecord,
  type Figure,
} from '../../bench/results.js';
import { cell, code, page, table } from './markdown.js';
import { BENCH_NOTES, type BenchNotes } from './performance-notes.js';

/**
 * `docs/performance.md`: per benchmark, what it measures and its targets (performance-notes.ts),
 * then each committed run in `bench/results/` with its date, commit, machine and load, its RESULT
 * figures as the file holds them, and everything it printed.
 */

/** The committed result files, parsed; refuses a file of another format. */
export function readResults(dir: string): BenchRecord[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Omit<BenchRecord, 'format'> & {
        format: unknown;
      };
      if (record.format !== RESULT_FORMAT) {
        throw new Error(
          `${RESULTS_FOLDER}/${name}: format ${String(record.format)}, expected ${RESULT_FORMAT}`,
        );
      }
      return { ...record, format: RESULT_FORMAT };
    });
}

/** A figure as the file holds it: a number, `a / b` for several, `n/a` for null. */
export function showFigure(value: Figure): string {
  if (value === null) return 'n/a';
  return Array.isArray(value) ? value.join(' / ') : String(value);
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function when(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

function duration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes === 0 ? `${seconds} s` : `${minutes} min ${seconds % 60} s`;
}

function command(notes: BenchNotes, record: BenchRecord): string {
  return `npm run ${notes.script}${record.argv.length === 0 ? '' : ` -- ${record.argv.join(' ')}`}`;
}

/** A fence longer than any run of backticks in the text. */
function fenced(lines: readonly string[], language = 'text'): string {
  const longest = Math.max(
    2,
    ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))),
  );
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, ...lines, fence].join('\n');
}

function runTable(record: BenchRecord): string {
  const { machine, commit } = record;
  const load = (values: readonly number[]): string => values.map((v) => v.toFixed(2)).join(', ');
  return table(
    ['run', ''],
    [
      ['date', cell(`${when(record.startedAt)}, ${duration(record.durationSeconds)}`)],
      [
        'commit',
        commit === null
          ? 'unknown'
          : `${code(commit.sha.slice(0, 10))}${commit.dirty ? ' with uncommitted changes' : ''}`,
      ],
      [
        'machine',
        cell(
          `${machine.cpus} × ${machine.cpuModel}, ${gib(machine.memoryBytes)}, ${machine.os}, Node ${machine.node}`,
        ),
      ],
      [
        'load average (1, 5, 15 min)',
        cell(`${load(machine.loadAverage.start)} at the start, ${load(machine.loadAverage.end)} at the end`),
      ],
      ['exit code', String(record.exitCode)],
    ],
  );
}

function figuresTable(notes: BenchNotes, record: BenchRecord): string {
  const rows = Object.entries(record.result.figures).map(([name, value]) => {
    const about = notes.figures[name];
    const target = about?.target;
    const verdict =
      target === undefined || typeof value !== 'number'
        ? ''
        : target.met(value, record.result.figures)
          ? 'met'
          : 'missed';
    return [code(name), cell(showFigure(value)), cell(target?.text), verdict, cell(about?.meaning)];
  });
  return table(['figure', 'value', 'target', '', 'meaning'], rows);
}

function runBlocks(notes: BenchNotes, record: BenchRecord): string[] {
  return [
    `### ${code(command(notes, record))}`,
    runTable(record),
    fenced([record.result.line]),
    figuresTable(notes, record),
    [
      '<details><summary>Everything the run printed</summary>',
      '',
      fenced(record.output),
      '',
      '</details>',
    ].join('\n'),
  ];
}

function benchBlocks(notes: BenchNotes, records: readonly BenchRecord[]): string[] {
  const runs = records
    .filter((r) => r.bench === notes.bench)
    .sort((a, b) => (a.variant ?? '').localeCompare(b.variant ?? ''));
  return [
    `## ${notes.title}: ${code(`npm run ${notes.script}`)}`,
    ...notes.about,
    ...(runs.length === 0
      ? [`No run is committed yet: \`npm run ${notes.script}\` writes one.`]
      : runs.flatMap((record) => runBlocks(notes, record))),
    `### Reading the figures`,
    ...notes.reading,
  ];
}

const INTRO = [
  'The figures below are the latest run of each benchmark and set of options, as the run wrote ' +
    `them into \`${RESULTS_FOLDER}/<bench>[-<options>].json\`: its date, the commit it ran, the ` +
    'machine and its load average, the RESULT line parsed into figures, and every line it printed. ' +
    'A new run replaces its file; `npm run docs` renders this page from the files. ' +
    '`BENCH_RESULTS_DIR=<dir>` writes a run elsewhere and `BENCH_RESULTS_DIR=off` writes nothing ' +
    '(under vitest or in CI nothing is written unless a folder is named).',
  'Kafka, the schema registry and ClickHouse run on the same machine as the code under test (the ' +
    'local stack, `scripts/stack.sh up`), with ClickHouse 18.16. On a small machine shared with other ' +
    'work the figures are noisy: read them with the load average beside them. Targets are reported, ' +
    'never asserted in tests.',
];

const HERE = dirname(fileURLToPath(import.meta.url));

/** The page, from the result files under `root` (the repository by default). */
export function renderPerformance(root: string = repositoryRoot(HERE)): string {
  const records = readResults(join(root, RESULTS_FOLDER));
  return page('docs/gen/performance.ts and bench/results/*.json', 'Performance', [
    ...INTRO,
    ...BENCH_NOTES.flatMap((notes) => benchBlocks(notes, records)),
  ]);
}

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULTS_FOLDER, type BenchRecord } from '../../bench/results.js';
import { renderPerformance, showFigure } from './performance.js';

function repoWith(records: readonly object[]): string {
  const root = mkdtempSync(join(tmpdir(), 'performance-page-'));
  mkdirSync(join(root, RESULTS_FOLDER), { recursive: true });
  records.forEach((record, i) => {
    writeFileSync(join(root, RESULTS_FOLDER, `r${i}.json`), JSON.stringify(record));
  });
  return root;
}

const soak: BenchRecord = {
  format: 1,
  bench: 'soak',
  variant: 'seconds-60',
  argv: ['--seconds', '60'],
  options: { seconds: '60' },
  startedAt: '2026-12-06T07:10:05.000Z',
  finishedAt: '2026-12-06T07:16:10.000Z',
  durationSeconds: 365,
  commit: { sha: '0123456789abcdef0123456789abcdef01234567', dirty: true },
  machine: {
    cpuModel: 'Test CPU',
    cpus: 2,
    memoryBytes: 8 * 1024 ** 3,
    os: 'Linux 6.1.0 x64',
    node: 'v20.19.0',
    loadAverage: { start: [1.5, 1, 0.5], end: [3.25, 2, 1] },
  },
  exitCode: 0,
  result: {
    line: 'RESULT produced=30000 lost=0 duplicated=0 dead_lettered=30 max_rss_mb=300',
    figures: { produced: 30000, lost: 0, duplicated: 0, dead_lettered: 30, max_rss_mb: 300 },
  },
  output: ['  messages by distinct id: 30000 of 30000', 'RESULT produced=30000 lost=0'],
};

describe('docs/performance.md', () => {
  it('is rendered from the committed result files', async () => {
    await expect(renderPerformance()).toMatchFileSnapshot('../performance.md');
  });

  it('shows each run with its date, commit, machine, load and figures as the file holds them', () => {
    const text = renderPerformance(repoWith([soak]));
    expect(text).toContain('### `npm run soak -- --seconds 60`');
    expect(text).toContain('| date | 2026-12-06 07:10 UTC, 6 min 5 s |');
    expect(text).toContain('`0123456789` with uncommitted changes');
    expect(text).toContain('2 × Test CPU, 8.0 GiB, Linux 6.1.0 x64, Node v20.19.0');
    expect(text).toContain('1.50, 1.00, 0.50 at the start, 3.25, 2.00, 1.00 at the end');
    expect(text).toContain(`\`\`\`text\n${soak.result.line}\n\`\`\``);
    expect(text).toContain('| `max_rss_mb` | 300 | ≤ 256 | missed |');
    expect(text).toContain('| `lost` | 0 | 0 | met |');
    expect(text).toContain('  messages by distinct id: 30000 of 30000');
    expect(text).toContain('No run is committed yet: `npm run bench:api` writes one.');
  });

  it('shows figures that were not measured or come in several', () => {
    expect(showFigure(null)).toBe('n/a');
    expect(showFigure([173, 200])).toBe('173 / 200');
    expect(showFigure(0.48)).toBe('0.48');
  });

  it('refuses a result file of another format', () => {
    expect(() => renderPerformance(repoWith([{ ...soak, format: 2 }]))).toThrow(/format 2, expected 1/);
  });
});

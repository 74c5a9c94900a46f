import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, documentationFiles, headingAnchors, isExternal, markdownLinks } from './links.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('markdownLinks', () => {
  it('finds inline links, images and reference definitions with their lines', () => {
    const text = [
      'See [the API](docs/api.md) and ![a picture](img/a.png "title").',
      '',
      '[ref]: docs/sql.md#tables',
      'Two on a line: [a](a.md), [b](<b c.md>).',
    ].join('\n');
    expect(markdownLinks(text)).toEqual([
      { target: 'docs/api.md', line: 1 },
      { target: 'img/a.png', line: 1 },
      { target: 'docs/sql.md#tables', line: 3 },
      { target: 'a.md', line: 4 },
      { target: 'b c.md', line: 4 },
    ]);
  });

  it('ignores links in fenced code blocks and code spans', () => {
    const text = [
      '```bash',
      'echo "[not](a-link.md)"',
      '```',
      'Inline `[not](either.md)` but [yes](yes.md).',
      '~~~',
      '[no](no.md)',
      '~~~',
    ].join('\n');
    expect(markdownLinks(text).map((l) => l.target)).toEqual(['yes.md']);
  });

  it('keeps brackets in the text and parentheses in the target', () => {
    expect(markdownLinks('[`a[0]` b](x_(y).md)').map((l) => l.target)).toEqual(['x_(y).md']);
  });

  it('tells external targets from relative ones', () => {
    expect(isExternal('https://example.com/x.md')).toBe(true);
    expect(isExternal('mailto:a@example.com')).toBe(true);
    expect(isExternal('docs/api.md')).toBe(false);
    expect(isExternal('#anchor')).toBe(false);
  });
});

describe('headingAnchors', () => {
  it('makes GitHub anchors, numbering repeats, skipping code blocks', () => {
    const text = [
      '# The API',
      '## Pages, queues, agents',
      '## `sql_query` limits',
      '```',
      '# not a heading',
      '```',
      '## Errors',
      '### Errors',
    ].join('\n');
    expect([...headingAnchors(text)]).toEqual([
      'the-api',
      'pages-queues-agents',
      'sql_query-limits',
      'errors',
      'errors-1',
    ]);
  });
});

describe('brokenLinks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'links-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports missing files and missing headings, relative to the linking page', () => {
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'a.md'), '# A\n## Some part\n[up](../README.md) [b](b.md#x)\n');
    writeFileSync(
      join(dir, 'README.md'),
      '[a](docs/a.md#some-part) [gone](docs/gone.md) [bad](docs/a.md#nope) [web](https://x.example)\n',
    );
    expect(brokenLinks(join(dir, 'README.md'), dir)).toEqual([
      { file: 'README.md', line: 1, target: 'docs/gone.md', reason: 'docs/gone.md does not exist' },
      { file: 'README.md', line: 1, target: 'docs/a.md#nope', reason: 'no heading #nope in docs/a.md' },
    ]);
    expect(brokenLinks(join(dir, 'docs', 'a.md'), dir)).toEqual([
      { file: 'docs/a.md', line: 3, target: 'b.md#x', reason: 'docs/b.md does not exist' },
    ]);
  });
});

describe('the project documentation', () => {
  const files = documentationFiles(ROOT);

  it('covers README.md, the folder READMEs and docs/', () => {
    const names = files.map((f) => f.slice(ROOT.length + 1));
    expect(names).toContain('README.md');
    expect(names).toContain('docs/api.md');
    expect(names).toContain('api/README.md');
  });

  it('has no broken relative link', () => {
    const broken = files.flatMap((file) => brokenLinks(file, ROOT));
    expect(broken.map((b) => `${b.file}:${b.line}: ${b.target} (${b.reason})`)).toEqual([]);
  });
});

/**
 * Markdown building blocks shared by the generated reference pages (`docs/reference/*.md`). Each
 * page has a generator in `docs/gen/` and a test beside it that compares the committed page with
 * what the code generates (`toMatchFileSnapshot`): `npm run docs` rewrites the pages, and the test
 * fails in CI when a page is out of date.
 */

/** The banner at the top of every generated page. */
export function generatedBanner(source: string): string {
  return `<!-- Generated from ${source} by \`npm run docs\`; do not edit by hand. -->`;
}

/** One table cell: pipes escaped and line breaks folded, so any text keeps the table intact. */
export function cell(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null || value === '') return '';
  return String(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * Text from the code (descriptions, help) that may hold placeholders such as `<agent>`: Markdown
 * would take them for HTML tags and hide them, so `<` is escaped.
 */
export function plain(value: string): string {
  return value.replace(/</g, '&lt;');
}

/**
 * The anchor GitHub gives a heading (as `docs/links.ts` checks it): lower case, punctuation and
 * code marks dropped, spaces turned into hyphens. Headings of a page must be unique for it to hold.
 */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Inline code that survives backticks in the value. */
export function code(value: string): string {
  if (value === '') return '';
  const fence = value.includes('`') ? '`` ' : '`';
  return fence + value + (fence === '`` ' ? ' ``' : '`');
}

/** A GitHub-flavoured Markdown table. Cells are passed through {@link cell} unless pre-escaped. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A page: banner, title, blocks separated by blank lines, one trailing newline. */
export function page(source: string, title: string, blocks: readonly string[]): string {
  return [generatedBanner(source), `# ${title}`, ...blocks].join('\n\n') + '\n';
}

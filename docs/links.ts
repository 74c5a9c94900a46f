import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Relative links in the project's Markdown: README.md, the folder READMEs and every page under
 * docs/. A link whose target file is missing, or whose `#anchor` names no heading of the target
 * page, is broken. Links with a scheme (`https:`, `mailto:`) are not followed.
 */

/** One link as written: its target and the line it is on (1-based). */
export interface MarkdownLink {
  target: string;
  line: number;
}

/** A relative link that does not resolve, with why. */
export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  reason: string;
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
/** `[text](target)` and `![alt](target)`; the target may be `<…>` and may carry a `"title"`. */
const INLINE =
  /!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
/** `[label]: target` reference definitions. */
const DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;

/** Inline code spans replaced by spaces, so a link written inside backticks is not a link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length));
}

function unwrap(target: string): string {
  return target.startsWith('<') && target.endsWith('>') ? target.slice(1, -1) : target;
}

/** Every link of a Markdown text outside fenced code blocks and code spans. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const opening = FENCE.exec(raw);
    if (fence !== undefined) {
      if (opening?.[1] !== undefined && opening[1][0] === fence[0] && opening[1].length >= fence.length)
        fence = undefined;
      return;
    }
    if (opening?.[1] !== undefined) {
      fence = opening[1];
      return;
    }
    const line = withoutCodeSpans(raw);
    const definition = DEFINITION.exec(line);
    if (definition?.[1] !== undefined) links.push({ target: unwrap(definition[1]), line: index + 1 });
    for (const match of line.matchAll(INLINE))
      if (match[1] !== undefined) links.push({ target: unwrap(match[1]), line: index + 1 });
  });
  return links;
}

/** Whether a target leaves the repository (a scheme such as `https:` or `mailto:`). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * The anchors of a page's headings, as GitHub makes them: lower case, code and emphasis marks and
 * punctuation dropped, spaces turned into hyphens, a repeated heading suffixed `-1`, `-2`…
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const raw of markdown.split('\n')) {
    const opening = FENCE.exec(raw);
    if (fence !== undefined) {
      if (opening?.[1] !== undefined && opening[1][0] === fence[0] && opening[1].length >= fence.length)
        fence = undefined;
      continue;
    }
    if (opening?.[1] !== undefined) {
      fence = opening[1];
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading?.[1] === undefined) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

const SKIPPED = new Set(['node_modules', 'dist', '.state', '.git', 'coverage']);

function markdownUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...markdownUnder(path));
    else if (entry.name.endsWith('.md')) files.push(path);
  }
  return files;
}

/** The pages whose links are checked: README.md, `<folder>/README.md`, and `docs/**` + `/*.md`. */
export function documentationFiles(root: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name.startsWith('.')) continue;
    if (entry.isFile() && entry.name === 'README.md') files.push(join(root, entry.name));
    else if (entry.isDirectory() && entry.name === 'docs') files.push(...markdownUnder(join(root, 'docs')));
    else if (entry.isDirectory() && existsSync(join(root, entry.name, 'README.md')))
      files.push(join(root, entry.name, 'README.md'));
  }
  return files.sort();
}

/** The broken relative links of one page (`file` is absolute; `root` is the repository). */
export function brokenLinks(file: string, root: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const markdown = readFileSync(file, 'utf8');
  const name = relative(root, file);
  for (const { target, line } of markdownLinks(markdown)) {
    if (target === '' || isExternal(target)) continue;
    const hash = target.indexOf('#');
    const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : target.slice(hash + 1);
    const path = pathPart.split('?')[0] ?? '';
    const resolved =
      path === '' ? file : path.startsWith('/') ? join(root, path) : resolve(dirname(file), path);
    if (!existsSync(resolved)) {
      broken.push({ file: name, line, target, reason: `${relative(root, resolved)} does not exist` });
      continue;
    }
    if (
      anchor === undefined ||
      anchor === '' ||
      !resolved.endsWith('.md') ||
      statSync(resolved).isDirectory()
    )
      continue;
    const anchors = headingAnchors(readFileSync(resolved, 'utf8'));
    if (!anchors.has(decodeURIComponent(anchor).toLowerCase()))
      broken.push({
        file: name,
        line,
        target,
        reason: `no heading #${anchor} in ${relative(root, resolved)}`,
      });
  }
  return broken;
}

/**
 * The docs hold together: every relative link in README.md and docs/ leads to a file (and, with an
 * anchor into a Markdown page, to one of its headings, by GitHub's rules), every `npm run <script>`
 * they name is a script of package.json, each page starts with its title, and the README stays a
 * five-minute read that links every page of docs/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');

/** The README may grow, but not back into a manual. */
const README_MAX_CHARACTERS = 12_000;

function markdownFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return markdownFiles(path);
      return name.endsWith('.md') ? [path] : [];
    });
}

const DOC_PAGES = markdownFiles(DOCS);
const FILES = [README, ...DOC_PAGES];
const text = new Map(FILES.map((file) => [file, readFileSync(file, 'utf8')]));
const read = (file: string): string => {
  const known = text.get(file);
  if (known !== undefined) return known;
  const content = readFileSync(file, 'utf8');
  text.set(file, content);
  return content;
};
const shown = (file: string) => relative(ROOT, file);

/**
 * The text outside fenced code blocks, and outside inline code, with every other character kept in
 * its place (blanked out), so that offsets and line numbers stay those of the file.
 */
function prose(markdown: string): string {
  let fence: { char: string; length: number } | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence) {
        if (
          marker &&
          marker[0] === fence.char &&
          marker.length >= fence.length &&
          !/\S/.test(line.trim().slice(marker.length))
        ) {
          fence = undefined;
        }
        return ' '.repeat(line.length);
      }
      if (marker) {
        fence = { char: marker[0] ?? '`', length: marker.length };
        return ' '.repeat(line.length);
      }
      return line.replace(/`[^`]*`/g, (code) => `\`${' '.repeat(code.length - 2)}\``);
    })
    .join('\n');
}

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page has: its headings' slugs (a repeated one gets -1, -2, ...) and HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const occurrences = new Map<string, number>();
  const code = prose(markdown);
  const original = markdown.split('\n');
  code.split('\n').forEach((line, index) => {
    if (!/^ {0,3}#{1,6}(\s|$)/.test(line)) return;
    // The heading's own text (inline code included), without the #s that open or close it.
    const heading = (original[index] ?? '')
      .replace(/^ {0,3}#{1,6}\s*/, '')
      .replace(/\s+#+\s*$/, '')
      .replace(/^#+\s*$/, '');
    const base = slug(heading);
    let anchor = base;
    while (anchors.has(anchor)) {
      const seen = (occurrences.get(base) ?? 0) + 1;
      occurrences.set(base, seen);
      anchor = `${base}-${seen}`;
    }
    anchors.add(anchor);
  });
  for (const match of code.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

interface Link {
  file: string;
  line: number;
  text: string;
  target: string;
}

function linksOf(file: string): Link[] {
  const markdown = read(file);
  const code = prose(markdown);
  const links: Link[] = [];
  for (const match of code.matchAll(/!?\[([^\]]*)\]\(\s*<?([^\s)>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const at = match.index ?? 0;
    links.push({
      file,
      line: code.slice(0, at).split('\n').length,
      text: markdown.slice(at, at + match[0].length).replace(/\s+/g, ' '),
      target: match[2] ?? '',
    });
  }
  return links;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** Where a relative link leads: the file (without its anchor) and the anchor, if any. */
function resolveLink(link: Link): { path: string; anchor: string | undefined } {
  const hash = link.target.indexOf('#');
  const path = hash === -1 ? link.target : link.target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
  return {
    path: path === '' ? link.file : resolve(dirname(link.file), decodeURIComponent(path)),
    anchor,
  };
}

const relativeLinks = FILES.flatMap(linksOf).filter((link) => !isExternal(link.target));

describe('the docs', () => {
  it('find pages to check', () => {
    expect(DOC_PAGES.length).toBeGreaterThan(10);
    expect(relativeLinks.length).toBeGreaterThan(100);
  });

  it('link only to files that exist, and to headings those pages have', () => {
    const failures: string[] = [];
    for (const link of relativeLinks) {
      const where = `${shown(link.file)}:${link.line}: ${link.text}`;
      if (link.target === '' || link.target === '#') {
        failures.push(`${where}: an empty link`);
        continue;
      }
      const { path, anchor } = resolveLink(link);
      if (!existsSync(path)) {
        failures.push(`${where}: no file ${shown(path)}`);
        continue;
      }
      if (anchor === undefined || !path.endsWith('.md')) continue;
      if (!anchorsOf(read(path)).has(anchor)) {
        failures.push(`${where}: ${shown(path)} has no heading #${anchor}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('run only npm scripts that package.json has', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> })
        .scripts ?? {},
    );
    const failures: string[] = [];
    let named = 0;
    for (const file of FILES) {
      read(file)
        .split('\n')
        .forEach((line, index) => {
          for (const match of line.matchAll(/\bnpm (?:run(?:-script)?\s+([^\s`'"|)\]]+)|(start|test)\b)/g)) {
            const script = (match[1] ?? match[2] ?? '').replace(/[.,:;]+$/, '');
            named++;
            if (!scripts.includes(script)) {
              failures.push(`${shown(file)}:${index + 1}: npm ${match[0].slice(4)}: no script "${script}"`);
            }
          }
        });
    }
    expect(named).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });

  it('start each page with its title', () => {
    const failures = FILES.filter((file) => !/^# \S/.test(read(file).trimStart())).map(shown);
    expect(failures).toEqual([]);
  });
});

describe('the README', () => {
  it('is a five-minute read', () => {
    expect(read(README).length).toBeLessThan(README_MAX_CHARACTERS);
  });

  it('links every page of docs/', () => {
    const linked = new Set(
      relativeLinks.filter((link) => link.file === README).map((link) => resolveLink(link).path),
    );
    expect(DOC_PAGES.filter((page) => !linked.has(page)).map(shown)).toEqual([]);
  });
});

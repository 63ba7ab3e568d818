import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CONFIG_DOC, withConfigTable } from '../../config/describe.js';
import { ENV_OVERRIDES } from '../../config/env.js';
import { parseConfig } from '../../config/load.js';

// The README is the front door and docs/ the reference: every link in them leads somewhere, every command they name
// exists, and what they say about the configuration is what the schema says.

const DOCS = ['README.md', 'BENCHMARKS.md', ...readdirSync('docs').map((name) => join('docs', name))].filter((path) =>
  path.endsWith('.md'),
);
const read = (path: string): string => readFileSync(path, 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

/** The text outside fenced code blocks, where Markdown links are links. */
const prose = (markdown: string): string => markdown.replace(/^```[\s\S]*?^```/gm, '');

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2, … */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} +(.+?) *$/gm)) {
    const base = (heading as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, 'gm'))].map((match) => match[1] as string);
}

describe('the documentation', () => {
  test('has a README short enough to read in five minutes, quick start first', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(sections.slice(0, 2)).toEqual(['What it promises', 'Quick start']);
  });

  test.each(DOCS)('%s links only to files and headings that exist', (path) => {
    const links = [...prose(read(path)).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string);
    expect(links.length > 0 || path === 'BENCHMARKS.md', `${path} has no links: is the pattern right?`).toBe(true);
    for (const link of links) {
      if (/^(https?|mailto):/.test(link)) continue;
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file === '' ? path : normalize(join(dirname(path), file));
      expect(existsSync(target), `${path}: ${link}`).toBe(true);
      if (anchor !== undefined) expect([...anchorsOf(read(target))], `${path}: ${link}`).toContain(anchor);
    }
  });

  test('names only npm scripts that exist', () => {
    const named = DOCS.flatMap((path) => [...read(path).matchAll(/npm run ([a-z0-9:_-]+)/g)].map((match) => match[1] as string));
    expect(named.length).toBeGreaterThan(0);
    for (const script of named) expect(scripts, `npm run ${script}`).toHaveProperty(script);
  });

  test('carries the configuration table generated from the schema (run npm run docs:config)', () => {
    const doc = read(CONFIG_DOC);
    expect(withConfigTable(doc)).toBe(doc);
  });

  test('names every environment override', () => {
    const doc = read(CONFIG_DOC);
    for (const { variable } of ENV_OVERRIDES) expect(doc).toContain(variable);
  });

  test('shows configurations that the schema accepts, the same one in YAML and in TOML', () => {
    const doc = read(CONFIG_DOC);
    const [yaml] = codeBlocks(doc, 'yaml');
    const [toml] = codeBlocks(doc, 'toml');
    expect(parseConfig(toml ?? '', 'example.toml')).toEqual(parseConfig(yaml ?? '', 'example.yaml'));
    for (const block of codeBlocks(read('README.md'), 'yaml')) expect(() => parseConfig(block, 'readme.yaml')).not.toThrow();
  });

  test('finds a heading anchor as GitHub makes it', () => {
    expect([...anchorsOf('# A\n## Verifying signatures (for receivers)\n## From the command line: `webhooks`\n## A\n')]).toEqual([
      'a',
      'verifying-signatures-for-receivers',
      'from-the-command-line-webhooks',
      'a-1',
    ]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { renderConfigTable } from '../../config/describe.js';
import { ENV_OVERRIDES } from '../../config/env.js';

const readme = readFileSync('README.md', 'utf8');
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('README', () => {
  test('carries the configuration table generated from the schema (run npm run docs:config)', () => {
    expect(readme).toContain(`-->\n${renderConfigTable()}\n<!-- config-table:end -->`);
  });

  test('names every environment override', () => {
    for (const { variable } of ENV_OVERRIDES) expect(readme).toContain(variable);
  });

  test('names only npm scripts that exist', () => {
    const named = [...readme.matchAll(/npm run ([a-z0-9:_-]+)/g)].map((match) => match[1] as string);
    expect(named.length).toBeGreaterThan(0);
    for (const script of named) expect(scripts, `npm run ${script}`).toHaveProperty(script);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, test } from 'vitest';
import { LAYERS, layeringConfigs } from '../../eslint.layers.js';
import { SHARED_DOMAIN_MODULES } from '../../worker/workflows-module.js';

// The layout's promise: every import between folders points down, so no folder, and no file, depends on itself.

/** ESLint with only the layering rules, so that a line of code can be checked as if it sat in a given file. */
const layering = new ESLint({
  cwd: process.cwd(),
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layeringConfigs()],
});

async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await layering.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((message) => message.message);
}

const SOURCE_FOLDERS = [...Object.keys(LAYERS), 'bin'];

/** The project files a workflow execution evaluates when it starts: what the workflows import, without dynamic imports. */
function loadedWhenAWorkflowStarts(): Set<string> {
  const known = new Set(projectFiles());
  const reached = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const { target, typesOnly } of importsOfText(file, withoutDynamicImports(readFileSync(file, 'utf8')), known)) {
      if (!typesOnly) visit(target);
    }
  };
  visit('workflows/index.ts');
  visit('workflows/send-event.ts');
  return reached;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** One import of a project file: static or dynamic, of values or of types only. */
interface ProjectImport {
  readonly target: string;
  readonly typesOnly: boolean;
}

/** The project files a module imports, read from its text: every form, dynamic `import()` included. */
// `import('…')`, with an optional webpack comment before the specifier.
const DYNAMIC_IMPORT = String.raw`\bimport\s*\(\s*(?:\/\*[^*]*\*\/\s*)?SPECIFIER\s*\)`;

function importsOfText(file: string, text: string, known: ReadonlySet<string>): ProjectImport[] {
  const found: { at: number; found: ProjectImport }[] = [];
  const add = (at: number, specifier: string, typesOnly: boolean): void => {
    const target = normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
    if (known.has(target)) found.push({ at, found: { target, typesOnly } });
  };
  for (const match of text.matchAll(/\b(?:import|export)\s+([^;']*?)\s*from\s*'(\.{1,2}\/[^']+)'/g)) {
    const clause = (match[1] as string).trim();
    const names = /^\{([^}]*)\}$/
      .exec(clause)?.[1]
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const typesOnly =
      clause.startsWith('type ') || (names !== undefined && names.length > 0 && names.every((name) => name.startsWith('type ')));
    add(match.index, match[2] as string, typesOnly);
  }
  const relativeImports = new RegExp(`${DYNAMIC_IMPORT.replace('SPECIFIER', "'(\\.{1,2}/[^']+)'")}|^import\\s+'(\\.{1,2}/[^']+)'`, 'gm');
  for (const match of text.matchAll(relativeImports)) {
    add(match.index, (match[1] ?? match[2]) as string, false);
  }
  return found.sort((a, b) => a.at - b.at).map((entry) => entry.found);
}

/** The text without `import()` calls: modules a workflow loads only when it needs them. */
function withoutDynamicImports(text: string): string {
  return text.replace(new RegExp(DYNAMIC_IMPORT.replace('SPECIFIER', "'[^']+'"), 'g'), 'undefined');
}

function importsOf(file: string, known: ReadonlySet<string>): ProjectImport[] {
  return importsOfText(file, readFileSync(file, 'utf8'), known);
}

function projectFiles(): string[] {
  return [...SOURCE_FOLDERS.flatMap(sourceFiles), 'index.ts', 'workflow.ts', 'errors.ts'];
}

/** Each source file and the project files it imports (types included: a type import is a dependency too). */
function importGraph(): Map<string, string[]> {
  const files = projectFiles();
  const known = new Set(files);
  return new Map(files.map((file) => [file, importsOf(file, known).map((found) => found.target)]));
}

/** The cycles of a graph, as the sets of nodes that reach each other (Tarjan's strongly connected components). */
function cyclesOf(graph: Map<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || graph.get(node)?.includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe('the layering of folders', () => {
  test.each([
    ['domain/rule.ts', "import { createIngest } from '../gateway/ingest.js';", 'domain/ may import only from itself'],
    ['domain/rule.ts', "import { readFile } from 'node:fs/promises';", 'No Node built-ins in workflow or domain code'],
    ['activities/deliver.ts', "import { createIngest } from '../gateway/ingest.js';", 'activities/ may import only from domain, signing'],
    ['workflows/flow.ts', "import { createDeliveryActivities } from '../activities/deliver.js';", 'may import only types from activities/'],
    ['workflows/flow.ts', "import { ConfigSchema } from '../config/schema.js';", 'workflows/ may import only from domain, activities'],
    [
      'gateway/ingest.ts',
      "import { buildApp } from '../server/app.js';",
      'gateway/ may import only from workflows, temporal, config, domain',
    ],
    ['server/routes/events.ts', "import { deliverEvent } from '../../workflows/index.js';", 'server/ may import only from gateway'],
    ['server/app.ts', "import { openWorkerSession } from '../worker/session.js';", 'server/ may import only from gateway'],
    ['cli/run.ts', "import { buildApp } from '../server/app.js';", 'may import only types from server/'],
    ['gateway/ingest.ts', "import { WebhooksPlugin } from '../index.js';", 'The package entry points import the project'],
  ])('%s may not hold %s', async (file, code, message) => {
    expect(await refusals(file, code)).toEqual([expect.stringContaining(message)]);
  });

  test.each([
    ['server/routes/events.ts', "import type { Ingest } from '../../gateway/index.js';"],
    ['workflows/flow.ts', "import type { DeliveryActivities } from '../activities/index.js';"],
    ['cli/views.ts', "import type { EndpointViewSchema } from '../server/schemas.js';"],
    ['worker/session.ts', "import { createGateway } from '../gateway/index.js';"],
    ['gateway/ingest.ts', "import { ConfigError } from '../errors.js';"],
    ['bin/start.ts', "import { buildAppFromConfig } from '../server/index.js';"],
  ])('%s may hold %s', async (file, code) => {
    expect(await refusals(file, code)).toEqual([]);
  });

  test('is part of the lint configuration that npm run lint uses', async () => {
    const config = (await new ESLint({ cwd: process.cwd() }).calculateConfigForFile('gateway/ingest.ts')) as {
      rules: Record<string, [string, { patterns: { regex: string }[] }]>;
    };
    const [severity, options] = config.rules['no-restricted-imports'] ?? [];
    expect(severity).toBe(2);
    expect(options?.patterns.map((pattern) => pattern.regex)).toContain('^(\\.\\./)+server/');
  });

  test('allows no import loop: the folders form a chain, and no file depends on itself', () => {
    const graph = importGraph();
    expect(cyclesOf(graph)).toEqual([]);
    const folderOf = (file: string): string => (file.includes('/') ? (file.split('/')[0] as string) : file);
    const folders = new Map<string, string[]>();
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      folders.set(from, [...new Set([...(folders.get(from) ?? []), ...targets.map(folderOf).filter((to) => to !== from)])]);
    }
    expect(cyclesOf(folders)).toEqual([]);
    // The entry points sit on top; errors.ts at the bottom, imported by many and importing nothing of the project.
    expect(graph.get('errors.ts')).toEqual([]);
    for (const [file, targets] of graph) {
      if (file !== 'index.ts' && file !== 'workflow.ts') expect(targets, file).not.toContain('index.ts');
    }
  });

  test('holds for every import in the source, dynamic and type imports included, not only those lint sees', () => {
    const files = projectFiles();
    const known = new Set(files);
    const folderOf = (file: string): string => (file.includes('/') ? (file.split('/')[0] as string) : file);
    const against: string[] = [];
    for (const file of files) {
      const layer = LAYERS[folderOf(file)];
      if (!layer) continue;
      for (const { target, typesOnly } of importsOf(file, known)) {
        const to = folderOf(target);
        if (to === folderOf(file) || to === 'errors.ts') continue;
        const rule = layer.may.find((entry) => (typeof entry === 'string' ? entry : entry.folder) === to);
        if (!rule || (typeof rule !== 'string' && !typesOnly)) against.push(`${file} → ${target}${typesOnly ? ' (types)' : ''}`);
      }
    }
    expect(against).toEqual([]);
  });

  test('reads every form of import', () => {
    const known = new Set(['gateway/ingest.ts', 'gateway/index.ts', 'server/app.ts', 'domain/event.ts', 'domain/endpoint.ts']);
    const sample = [
      "import { createIngest } from '../gateway/ingest.js';",
      "import type { Ingest } from '../gateway/index.js';",
      "import { type Api, buildApp } from '../server/app.js';",
      "import { type IncomingEvent } from '../domain/event.js';",
      "export { EndpointSchema } from '../domain/endpoint.js';",
      'const later = await import(/* webpackMode: "eager" */ \'../server/app.js\');',
    ].join('\n');
    expect(importsOfText('server/x.ts', sample, known)).toEqual([
      { target: 'gateway/ingest.ts', typesOnly: false },
      { target: 'gateway/index.ts', typesOnly: true },
      { target: 'server/app.ts', typesOnly: false },
      { target: 'domain/event.ts', typesOnly: true },
      { target: 'domain/endpoint.ts', typesOnly: false },
      { target: 'server/app.ts', typesOnly: false },
    ]);
  });

  test("loads no zod when a workflow execution starts: each execution evaluates its workflows' modules afresh", () => {
    const reached = loadedWhenAWorkflowStarts();
    expect(reached.size).toBeGreaterThan(10);
    const withZod = [...reached].filter((file) => /^import\s+(?!type\s)[^;]*from\s+'zod'/m.test(readFileSync(file, 'utf8')));
    expect(withZod).toEqual([]);
  });

  test('shares every domain module a workflow loads across executions, and only those', () => {
    const domainModules = [...loadedWhenAWorkflowStarts()]
      .filter((file) => file.startsWith('domain/'))
      .map((file) => file.slice('domain/'.length, -'.ts'.length))
      .sort();
    expect(domainModules).toEqual([...SHARED_DOMAIN_MODULES].sort());
  });

  test('a shared domain module keeps nothing that changes at its top level: workflows share it frozen', () => {
    const mutable = SHARED_DOMAIN_MODULES.flatMap((name) =>
      readFileSync(`domain/${name}.ts`, 'utf8')
        .split('\n')
        // At the top level: a variable; a collection, whose contents freezing does not reach (Map, Set and their weak
        // kinds); a regular expression that keeps its position (global or sticky), written literally or constructed.
        .filter(
          (line) =>
            /^(export )?(let|var) /.test(line) ||
            /^(export )?const [^=]+= new (Map|Set|WeakMap|WeakSet)\b/.test(line) ||
            /^(export )?const [^=]+= \/.*\/[a-z]*[gy][a-z]*;/.test(line) ||
            /^(export )?const [^=]+= new RegExp\(.*,\s*['"`][a-z]*[gy][a-z]*['"`]\)/.test(line),
        )
        .map((line) => `domain/${name}.ts: ${line}`),
    );
    expect(mutable).toEqual([]);
  });

  test('finds a loop where there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cyclesOf(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

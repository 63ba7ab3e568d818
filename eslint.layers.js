// The direction of imports between the project's folders, as ESLint rules. Each folder lists the folders it may
// import from; every other folder is refused, so dependencies point one way and the layering cannot loop. The
// top-level files are the package's entry points (`index.ts`, `workflow.ts`), which nothing inside may import, and
// `errors.ts`, which anything may.
import { builtinModules } from 'node:module';

/** @type {Record<string, { may: (string | { folder: string, typesOnly: true })[], deterministic?: boolean }>} */
export const LAYERS = {
  domain: { may: [], deterministic: true },
  signing: { may: [] },
  config: { may: ['domain'] },
  temporal: { may: ['config', 'domain'] },
  // JSONata transforms, run in threads of their own with time and memory limits.
  transform: { may: ['domain'] },
  activities: { may: ['domain', 'signing', 'transform', 'tracing'] },
  // Workflows name their activities' types, never their code: it runs outside the sandbox.
  workflows: { may: ['domain', { folder: 'activities', typesOnly: true }], deterministic: true },
  gateway: { may: ['workflows', 'temporal', 'config', 'domain', 'tracing', 'signing'] },
  // Prometheus metrics: what the API and the worker observe, named and bounded.
  metrics: { may: ['config', 'domain'] },
  // OpenTelemetry tracing: the process's tracer provider, the Temporal plugin for its clients' spans, and the trace
  // carrier a delivery holds (tracing/carrier.ts, which the starter and the attempts import, and which loads no SDK).
  tracing: { may: [] },
  worker: { may: ['gateway', 'activities', 'transform', 'workflows', 'temporal', 'config', 'domain'] },
  server: { may: ['gateway', 'metrics', 'transform', 'config', 'domain', 'signing'] },
  host: { may: ['temporal', 'config', 'domain'] },
  // A gateway node: the API and a worker in one process, sharing one connection and one gateway.
  node: { may: ['server', 'worker', 'gateway', 'metrics', 'tracing', 'transform', 'temporal', 'config', 'domain'] },
  // The CLI reads the API's answers through the API's own schemas, as types: it loads nothing of the server.
  cli: { may: ['domain', { folder: 'server', typesOnly: true }] },
};

/** Folders outside the layering, which may import anything: entry points, benchmarks, tests. */
export const UNLAYERED = ['bin', 'bench', 'chaos', 'test'];

const FOLDERS = [...Object.keys(LAYERS), ...UNLAYERED];
const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);
/** @param {string | { folder: string }} entry */
const folderOf = (entry) => (typeof entry === 'string' ? entry : entry.folder);
// A relative import that climbs out of the importing folder and into `folder`: `../gateway/…`, `../../gateway/…`.
/** @param {string} folder */
const into = (folder) => `^(\\.\\./)+${folder}/`;

/**
 * One ESLint config object per layered folder, refusing imports against the direction.
 * @returns {import('eslint').Linter.Config[]}
 */
export function layeringConfigs() {
  return Object.entries(LAYERS).map(([folder, { may, deterministic }]) => {
    const allowed = new Set(may.map(folderOf));
    const refused = FOLDERS.filter((other) => other !== folder && !allowed.has(other));
    const patterns = [
      ...refused.map((other) => ({
        regex: into(other),
        message: `${folder}/ may import only from ${[...allowed].join(', ') || 'itself'}: imports point down (see eslint.layers.js).`,
      })),
      ...may
        .filter((entry) => typeof entry !== 'string')
        .map((entry) => ({
          regex: into(entry.folder),
          allowTypeImports: true,
          message: `${folder}/ may import only types from ${entry.folder}/.`,
        })),
      {
        regex: '^(\\.\\./)+(index|workflow)\\.js$',
        message: 'The package entry points import the project, not the other way round.',
      },
    ];
    const paths = deterministic
      ? nodeBuiltins.map((name) => ({
          name,
          message: 'No Node built-ins in workflow or domain code: it must stay deterministic.',
        }))
      : [];
    return { files: [`${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { paths, patterns }] } };
  });
}

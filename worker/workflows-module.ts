import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// The sources under tsx, the compiled files in `dist/`.
const SOURCE_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The module the worker bundles for the workflow sandbox: the source under tsx, the compiled file in `dist/`. */
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index${SOURCE_EXTENSION}`, import.meta.url));

/**
 * The pure modules of `domain/` that the workflows load (directly or through each other). They hold no state of
 * their own: constants, frozen without harm, and functions, which look up `Date` and `Math` when called and so see
 * the workflow's deterministic ones. A test holds this list to what the bundle contains.
 */
export const SHARED_DOMAIN_MODULES: readonly string[] = [
  'attempt-outcome',
  'attempt-plan',
  'classify',
  'definition-check',
  'delivery',
  'duration',
  'endpoint-state',
  'endpoint-transitions',
  'event-id-prefixes',
  'event-type',
  'fanout',
  'fifo-line',
  'filter',
  'held-deliveries',
  'json-depth',
  'limiter',
  'payload',
  'recent-attempts',
  'retry',
  'send-slots',
  'source-book',
  'url',
  'workflow-ids',
];

/**
 * Modules the worker evaluates once per workflow context rather than once per workflow execution (the bundler's
 * `preloadModules`): the zod library, which the endpoint entity and `sendEvent` load when they need a schema, and the
 * pure domain modules.
 *
 * Why: a reusable workflow context gives each execution a fresh copy of every module loaded after it began, so that
 * one workflow's module state cannot leak into another's. Evaluating zod is costly, and evaluating twenty domain
 * modules again is work every new execution (each event's delivery, each entity replayed) need not do. What is shared
 * is shared by every execution: the context freezes what a shared module exports (not its private values, nor the
 * contents of a Map or Set), so nothing shared may keep state. Schemas built on zod define their methods lazily on
 * first use, which a frozen schema refuses, so only the library is shared and our workflows build no schema when they
 * load (see `webhookEndpoint`); a domain module keeps nothing that changes at its top level, which a test checks.
 * Sharing them saved no memory that a 10,000-endpoint run could measure (BENCHMARKS.md, "Many endpoints").
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [
  'zod',
  ...SHARED_DOMAIN_MODULES.map((name) => fileURLToPath(new URL(`../domain/${name}${SOURCE_EXTENSION}`, import.meta.url))),
];

// The generated module of each user module, written once per process.
const generated = new Map<string, string>();

/**
 * The workflows module for a worker that runs the user's workflows and this project's: `WORKFLOWS_PATH` alone when the
 * user has none, otherwise a generated module that re-exports both.
 *
 * Why generate: a Temporal worker bundles exactly one workflows module, and asking every user to re-export our
 * workflows from theirs would make adding the plugin more than one line. The file is named by a digest of both
 * paths, so it is written once per pair and never changes under a running bundler. It goes in the `.cache` folder
 * of the `node_modules` that the user's module takes `@temporalio/workflow` from: the bundler resolves the SDK from
 * the module's folder, and must find the very copy the user's worker runs.
 */
export function workflowsModuleFor(userWorkflowsPath: string | undefined): string {
  if (userWorkflowsPath === undefined) return WORKFLOWS_PATH;
  const userPath = resolve(userWorkflowsPath);
  // The worker passes its (already combined) path on to the bundler, which asks again.
  if (userPath === WORKFLOWS_PATH || [...generated.values()].includes(userPath)) return userPath;
  const known = generated.get(userPath);
  if (known) return known;
  const source = [userPath, WORKFLOWS_PATH].map((path) => `export * from ${JSON.stringify(path)};\n`).join('');
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const directory = join(nodeModulesOf(userPath), '.cache', 'temporal-webhooks');
  const path = join(directory, `workflows-${digest}.js`);
  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(path, source);
  } catch (error) {
    throw new Error(
      `WebhooksPlugin could not write the worker's workflows module to ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}). ` +
        'Bundle the workflows at build time instead: bundleWorkflowCode({ workflowsPath, plugins: [webhooks] }), then Worker.create({ workflowBundle }).',
      { cause: error },
    );
  }
  generated.set(userPath, path);
  return path;
}

function nodeModulesOf(userPath: string): string {
  const sdk = createRequire(userPath).resolve('@temporalio/workflow');
  const marker = `${sep}node_modules${sep}`;
  const at = sdk.lastIndexOf(marker);
  if (at === -1) {
    throw new Error(
      `WebhooksPlugin needs @temporalio/workflow installed in a node_modules folder, but ${userPath} resolves it to ${sdk}. ` +
        'Bundle the workflows at build time instead: bundleWorkflowCode({ workflowsPath, plugins: [webhooks] }).',
    );
  }
  return sdk.slice(0, at + marker.length - 1);
}

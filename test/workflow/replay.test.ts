import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { describe, expect, inject, test } from 'vitest';
import { WebhooksPlugin } from '../../index.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { installQuietRuntime } from '../support/temporal.js';

// Stored histories are a contract: executions that the code of an earlier release started must go on under this
// one. Each folder of test/fixtures/histories/ was recorded by `npm run histories:record` before a change to workflow
// code, and each history in it is replayed here against the code as it is now; a command that differs is a
// nondeterminism error.

const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const SHOP_WORKFLOWS = fileURLToPath(new URL('../fixtures/shop-workflows.ts', import.meta.url));
const recordings = readdirSync(HISTORIES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function recording(name: string) {
  const folder = `${HISTORIES}${name}/`;
  const workflowIds = JSON.parse(readFileSync(`${folder}workflow-ids.json`, 'utf8')) as Record<string, string>;
  const files = readdirSync(folder).filter((file) => file.endsWith('.json') && file !== 'workflow-ids.json');
  const history = (file: string): unknown => JSON.parse(readFileSync(`${folder}${file}`, 'utf8'));
  return { workflowIds, files, history };
}

/** A history as `Worker.runReplayHistories` takes it, named by its recording and file for the results. */
interface NamedHistory {
  readonly key: string;
  readonly workflowId: string;
  readonly history: unknown;
}

function historiesOf(include: (file: string) => boolean): NamedHistory[] {
  return recordings.flatMap((name) => {
    const { workflowIds, files, history } = recording(name);
    return files
      .filter(include)
      .map((file) => ({ key: `${name}/${file}`, workflowId: workflowIds[file] as string, history: history(file) }));
  });
}

/**
 * Replays every history on one replay worker (one bundle, one worker: a worker, and above all a bundle, per history
 * took most of this file's time), and gives each history's outcome by its key: `{ error: undefined }` when it
 * replayed. Results come back in the order the histories went in.
 */
async function replayAll(
  options: ReplayWorkerOptions,
  histories: readonly NamedHistory[],
): Promise<ReadonlyMap<string, { error: unknown }>> {
  installQuietRuntime();
  const outcomes = new Map<string, { error: unknown }>();
  let index = 0;
  for await (const result of Worker.runReplayHistories(options, histories)) {
    const replayed = histories[index++] as NamedHistory;
    // The SDK replays one history at a time, in order; a result for another would pin an error on the wrong one.
    if (result.workflowId !== replayed.workflowId) throw new Error(`replayed ${result.workflowId} where ${replayed.workflowId} was due`);
    outcomes.set(replayed.key, { error: result.error });
  }
  return outcomes;
}

// The first test to ask for a replay waits for all of it (a bundle, then every history): 18 s on a quiet machine.
const REPLAY_TIMEOUT_MS = 180_000;

/** Each replay runs once, when a test first asks for it, whichever recording's test that is. */
function once<T>(run: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= run());
}

const onGatewayBundle = once(() =>
  replayAll(
    { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: webhookDataConverter() },
    historiesOf((file) => !file.startsWith('shop.')),
  ),
);
const throughThePlugin = once(() =>
  replayAll(
    { workflowsPath: SHOP_WORKFLOWS, plugins: [new WebhooksPlugin()] },
    historiesOf((file) => file.startsWith('shop.')),
  ),
);
// Workflow spans are turned on by setting an environment variable, so a worker with them may replay what a worker
// without them recorded (and back): the SDK's workflow interceptors must add no command and move none. (The
// gateway's own tracing adds nothing to the bundle: the trace travels in the workflow's input.)
const withWorkflowSpans = once(() => {
  const tracing = new OpenTelemetryPlugin({
    resource: new Resource({ 'service.name': 'replay' }),
    spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()),
  });
  return replayAll(
    { workflowsPath: SHOP_WORKFLOWS, plugins: [new WebhooksPlugin(), tracing] },
    historiesOf(() => true),
  );
});

test('there are recordings to replay', () => {
  expect(recordings.length).toBeGreaterThan(0);
});

test('the book of inbound sources is recorded through its updates and a continue-as-new', () => {
  const recorded = recordings.filter((name) => recording(name).files.includes('source-directory.json'));
  expect(recorded.length).toBeGreaterThan(0);
  for (const name of recorded) expect(recording(name).files).toContain('source-directory.run-2.json');
});

// Every patch the workflow code takes is in some recorded history: a later change to the code behind a patch is then
// replayed against what that code wrote, not only against histories from before the patch.
const WORKFLOW_SOURCES = fileURLToPath(new URL('../../workflows/', import.meta.url));

/** Every id passed to `patched()` or `deprecatePatch()`, as a literal or a constant of the same file. */
function patchIdsInCode(): string[] {
  const sources = readdirSync(WORKFLOW_SOURCES).filter((file) => file.endsWith('.ts'));
  return sources.flatMap((file) => {
    const code = readFileSync(`${WORKFLOW_SOURCES}${file}`, 'utf8');
    const constants = new Map([...code.matchAll(/const (\w+) = ['"]([^'"]+)['"];/g)].map((match) => [match[1], match[2]]));
    return [...code.matchAll(/\b(?:patched|deprecatePatch)\(\s*(?:['"]([^'"]+)['"]|(\w+))\s*\)/g)].map(
      ([, literal, name]) => literal ?? constants.get(name ?? '') ?? `an id this test cannot read: ${name ?? ''} in ${file}`,
    );
  });
}

interface RecordedEvent {
  readonly markerRecordedEventAttributes?: {
    readonly markerName?: string;
    readonly details?: Record<string, { readonly payloads?: readonly { readonly data?: string }[] }>;
  };
}

function patchIdsRecorded(): Set<string> {
  const ids = new Set<string>();
  for (const name of recordings) {
    const { files, history } = recording(name);
    for (const file of files) {
      for (const event of (history(file) as { events?: RecordedEvent[] }).events ?? []) {
        const marker = event.markerRecordedEventAttributes;
        const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
        if (data) ids.add((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id);
      }
    }
  }
  return ids;
}

test('every patch in the workflow code is taken in some recorded history', () => {
  const inCode = [...new Set(patchIdsInCode())];
  // The eight patches the code takes today: a reading that finds fewer has stopped seeing them.
  expect(inCode.length).toBeGreaterThanOrEqual(8);
  const recorded = patchIdsRecorded();
  expect(inCode.filter((id) => !recorded.has(id))).toEqual([]);
});

describe.each(recordings)('histories recorded at %s', (name) => {
  const { workflowIds, files } = recording(name);
  const gatewayFiles = files.filter((file) => !file.startsWith('shop.'));
  const shopFiles = files.filter((file) => file.startsWith('shop.'));

  test('cover every workflow type and the paths that change workflow state', () => {
    expect(Object.keys(workflowIds).sort()).toEqual([...files].sort());
    expect(gatewayFiles).toEqual(
      expect.arrayContaining([
        'deliver-event.delivered.json',
        'deliver-event.retried.json',
        'deliver-event.interleaved.json',
        'deliver-event.held-at-routing.json',
        'deliver-event.held-by-worker.json',
        'deliver-event.parts.json',
        'endpoint.held-and-released.json',
        'endpoint.lifecycle.json',
        'endpoint.lifecycle.run-2.json',
        'endpoint.auto-disabled.json',
      ]),
    );
    // From 7f159bb on, a user workflow's event split by attempts too.
    const splitByAttempts = files.includes('deliver-event.sent-in-parts.json') ? ['shop.send-bulk.json'] : [];
    expect([...shopFiles].sort()).toEqual(['shop.checkout.json', 'shop.send-duplicate.json', ...splitByAttempts].sort());
  });

  const outcomesOf = (outcomes: ReadonlyMap<string, { error: unknown }>, of: readonly string[]) =>
    of.map((file) => [file, outcomes.get(`${name}/${file}`)]);
  const replayed = (of: readonly string[]) => of.map((file) => [file, { error: undefined }]);

  test.each(gatewayFiles)(
    '%s replays without a nondeterminism error',
    async (file) => {
      expect((await onGatewayBundle()).get(`${name}/${file}`)).toEqual({ error: undefined });
    },
    REPLAY_TIMEOUT_MS,
  );

  test(
    'a user workflow that sent events with sendEvent replays, through the plugin',
    async () => {
      expect(outcomesOf(await throughThePlugin(), shopFiles)).toEqual(replayed(shopFiles));
    },
    REPLAY_TIMEOUT_MS,
  );

  test(
    'every history replays with the SDK’s workflow spans in the bundle',
    async () => {
      expect(outcomesOf(await withWorkflowSpans(), files)).toEqual(replayed(files));
    },
    REPLAY_TIMEOUT_MS,
  );
});

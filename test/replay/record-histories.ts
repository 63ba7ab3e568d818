import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ConfigSchema } from '../../config/schema.js';
import { EndpointSchema, type Endpoint } from '../../domain/endpoint.js';
import { DEFAULT_ENDPOINT_SETTINGS } from '../../domain/endpoint-state.js';
import { endpointWorkflowId, endpointChangesWorkflowId, eventWorkflowId, sourceDirectoryWorkflowId } from '../../domain/workflow-ids.js';
import { defineConfig, WebhooksPlugin } from '../../index.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { startDevServer } from '../../host/dev-server.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { ensureTemporalCli } from '../../host/temporal-cli.js';
import { openWorkerSession } from '../../worker/session.js';
import { createWebhookWorker, WORKFLOWS_PATH } from '../../worker/worker.js';
import {
  configureUpdate,
  deliverEvent,
  disableSignal,
  type DeliverEventInput,
  enableSignal,
  healthSignal,
  holdSignal,
  joinLineSignal,
  leaveLineSignal,
  lineQuery,
  pauseSignal,
  resumeSignal,
  retireUpdate,
  stateQuery,
  webhookEndpoint,
  changeSourceUpdate,
  createSourceUpdate,
  deleteSourceUpdate,
  reconcileSourcesUpdate,
  rotateSourceSecretUpdate,
  webhookSourceDirectory,
} from '../../workflows/index.js';
import type { SourceDefinition } from '../../domain/source-book.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.js';
import { startTokenServer } from '../support/token-server.js';
import { DELIVERY_VERSION } from '../../domain/attempt-plan.js';
import { anEvent, anOAuth2Client, aTarget, retryAfter } from '../support/builders.js';
import { findFreePort } from '../support/ports.js';
import type { checkout, sendAs } from '../fixtures/shop-workflows.js';

// Records the workflow histories that `test/workflow/replay.test.ts` replays against the current code: each scenario
// runs the project's workflows, as they start deliveries today, on a fresh dev server, and every run's history is
// written to test/fixtures/histories/<label>/ (by default the date and the commit). Run it before a change to
// workflow code (`npm run histories:record`) and commit what it writes: the histories are what executions started by
// the old code look like to the new. `workflow-ids.json` names each file's workflow id, which a history does not hold
// and a replay of child workflow starts needs.

const label =
  process.argv[2] ?? `${new Date().toISOString().slice(0, 10)}-${execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()}`;
const OUT_DIR = fileURLToPath(new URL(`../fixtures/histories/${label}/`, import.meta.url));
const SHOP_WORKFLOWS = fileURLToPath(new URL('../fixtures/shop-workflows.ts', import.meta.url));
const TASK_QUEUE = 'replay-fixtures';
const LOOPBACK_CONFIG = ConfigSchema.parse({ delivery: { allow_destinations: ['loopback'] } });
// The OAuth2 client of the slow authorization server in `localFailed`; its secret is given to the gateway's worker.
const TOKEN_CLIENT = { id: 'replay-client', secret: 'replay-s3cret', secretEnv: 'REPLAY_CLIENT_SECRET' };
const SHOP_QUEUE = 'replay-fixtures-shop';
const WAIT_MS = 30_000;
const workflowIds: Record<string, string> = {};

Runtime.install({ logger: new DefaultLogger('WARN') });
const cliPath = await ensureTemporalCli();
const server = await startDevServer({ cliPath, port: await findFreePort(), searchAttributes: SEARCH_ATTRIBUTE_KEYS });
const client = new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: webhookDataConverter() });
const workerConnection = await NativeConnection.connect({ address: server.address });
const receivers: Receiver[] = [];
const receiver = async (): Promise<Receiver> => {
  const started = await startReceiver();
  receivers.push(started);
  return started;
};

const gateway = await createWebhookWorker({
  connection: workerConnection,
  namespace: 'default',
  taskQueue: TASK_QUEUE,
  config: LOOPBACK_CONFIG,
  healthReportIntervalMs: 200,
  env: { ...process.env, [TOKEN_CLIENT.secretEnv]: TOKEN_CLIENT.secret },
});
const gatewayRunning = gateway.run();

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(100);
  }
}

/** Runs `work` while a gateway worker polls `taskQueue` besides the recording worker's own. */
async function whileAWorkerPolls(taskQueue: string, work: () => Promise<void>): Promise<void> {
  const worker = await createWebhookWorker({ connection: workerConnection, namespace: 'default', taskQueue, config: LOOPBACK_CONFIG });
  const running = worker.run();
  try {
    await work();
  } finally {
    worker.worker.shutdown();
    await running;
  }
}

/** Writes every run of a workflow id, oldest first: `<name>.json`, then `<name>.run-2.json` after a continue-as-new. */
async function save(name: string, workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const runIds: string[] = [];
  let runId: string | undefined = (await handle.describe()).runId;
  // Walks back from the latest run through each run's predecessor.
  while (runId) {
    runIds.unshift(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  for (const [index, id] of runIds.entries()) {
    const history = await client.workflow.getHandle(workflowId, id).fetchHistory();
    const fileName = `${name}${index === 0 ? '' : `.run-${index + 1}`}.json`;
    const file = `${OUT_DIR}${fileName}`;
    await writeFile(file, `${historyToJSON(history)}\n`);
    workflowIds[fileName] = workflowId;
    console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
  }
}

function anEndpoint(id: string, url: string, overrides: Record<string, unknown> = {}): Endpoint {
  return EndpointSchema.parse({ id, url, events: ['order.*'], ...overrides });
}

async function startEntity(
  endpoint: Endpoint,
  extra: Record<string, unknown> = {},
  taskQueue = TASK_QUEUE,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof webhookEndpoint>> {
  return client.workflow.start(webhookEndpoint, {
    workflowId: endpointWorkflowId(endpoint.id),
    taskQueue,
    args: [{ endpoint, source: 'api', ...extra }],
  });
}

/**
 * Starts the delivery of `input.event` as its own workflow, `event/<id>`, on the recording worker's queue (another
 * queue when given), with the behaviour version the gateway starts deliveries with today.
 */
function startDelivery(input: DeliverEventInput, taskQueue = TASK_QUEUE) {
  return client.workflow.start(deliverEvent, {
    workflowId: eventWorkflowId(input.event.id),
    taskQueue,
    args: [{ ...input, version: DELIVERY_VERSION }],
  });
}

async function heldCount(handle: WorkflowHandle<typeof webhookEndpoint>): Promise<number> {
  return (await handle.query(stateQuery)).heldDeliveries.length;
}

/** Waits until the worker's endpoint list (polled every 200 ms from visibility) shows the entity's status. */
async function untilListed(endpointId: string, status: string): Promise<void> {
  await until(`${endpointId} is listed as ${status}`, async () => {
    const query = `WorkflowType = 'webhookEndpoint' AND WebhookEndpointStatus = '${status}' AND WorkflowId = '${endpointWorkflowId(endpointId)}'`;
    for await (const _ of client.workflow.list({ query })) return true;
    return false;
  });
  await delay(1_000);
}

async function delivered(): Promise<void> {
  const [first, second] = [await receiver(), await receiver()];
  const event = anEvent({ id: 'evt_replay_delivered' });
  await (
    await startDelivery({
      event,
      targets: [
        aTarget(first.url, { endpointId: 'first' }),
        aTarget(second.url, { endpointId: 'second', headers: { 'X-Team': 'billing' } }),
      ],
    })
  ).result();
  await save('deliver-event.delivered', eventWorkflowId(event.id));
}

/** An event with the delivery controls of issue 17 in its input: endpoints its filter left out, and a transform. */
async function controlled(): Promise<void> {
  const shaped = await receiver();
  const event = anEvent({ id: 'evt_replay_controlled' });
  await (
    await startDelivery({
      event,
      targets: [aTarget(shaped.url, { endpointId: 'shaped', transform: '{"text": type & " " & id}' })],
      unrouted: [{ endpointId: 'big-orders', reason: 'filter: data.total is 42, which fails $gt 100' }],
    })
  ).result();
  await save('deliver-event.controlled', eventWorkflowId(event.id));
}

async function retried(): Promise<void> {
  const flaky = await receiver();
  flaky.script({ status: 500 }, { status: 429, headers: { 'retry-after': '1' } }, { status: 503 });
  const refusing = await receiver();
  refusing.script({ status: 400, body: 'bad' });
  const event = anEvent({ id: 'evt_replay_retried' });
  await (
    await startDelivery({
      event,
      targets: [
        aTarget(flaky.url, { endpointId: 'flaky', retry: retryAfter([300, 600, 300]) }),
        aTarget(refusing.url, { endpointId: 'refusing', retry: retryAfter([300]) }),
        aTarget('http://127.0.0.1:1/nothing-listens', { endpointId: 'unreachable', retry: retryAfter([200]) }),
      ],
      maxConcurrentDeliveries: 2,
    })
  ).result();
  await save('deliver-event.retried', eventWorkflowId(event.id));
}

/** Three events to an endpoint allowing one request a second: two wait for their slot, on tickets from its entity. */
async function rateLimited(): Promise<void> {
  const paced = await receiver();
  const entity = await startEntity(anEndpoint('replay-paced', paced.url, { rate_limit: { requests: 1, per: '1s' } }));
  const target = aTarget(paced.url, { endpointId: 'replay-paced', rateLimit: { requests: 1, perMs: 1_000 } });
  const events = [1, 2, 3].map((n) => anEvent({ id: `evt_replay_paced_${n}` }));
  const started = await Promise.all(events.map((event) => startDelivery({ event, targets: [target] })));
  await Promise.all(started.map((handle) => handle.result()));
  await entity.executeUpdate(retireUpdate);
  for (const [index, event] of events.entries()) await save(`deliver-event.rate-limited-${index + 1}`, eventWorkflowId(event.id));
  await save('endpoint.rate-limited', endpointWorkflowId('replay-paced'));
}

/**
 * An event to a rate-limited endpoint whose entity does not answer at first (no worker polls its queue): the local
 * first attempt comes back unsent, and the delivery goes on as an ordinary attempt, which succeeds once the entity's
 * worker has come.
 */
async function slotUnanswered(): Promise<void> {
  const target = await receiver();
  const entityQueue = `${TASK_QUEUE}-slots`;
  const endpoint = anEndpoint('replay-unanswered', target.url, { rate_limit: { requests: 5, per: '1s' } });
  const entity = await startEntity(endpoint, {}, entityQueue);
  const event = anEvent({ id: 'evt_replay_unanswered' });
  const handle = await startDelivery({
    event,
    targets: [aTarget(target.url, { endpointId: endpoint.id, rateLimit: { requests: 5, perMs: 1_000 } })],
  });
  await until('the delivery went on as an ordinary attempt', async () =>
    ((await handle.fetchHistory()).events ?? []).some((entry) => entry.activityTaskScheduledEventAttributes),
  );
  await whileAWorkerPolls(entityQueue, async () => {
    await handle.result();
    await entity.executeUpdate(retireUpdate);
  });
  await save('deliver-event.slot-unanswered', eventWorkflowId(event.id));
}

/**
 * An event to an OAuth2 endpoint whose authorization server answers too late for its local first attempt to send
 * (version 7): the attempt fails, is not retried locally, and runs again at once as an ordinary activity, which finds
 * the token the local attempt fetched and delivers.
 */
async function localFailed(): Promise<void> {
  const target = await receiver();
  const tokens = await startTokenServer({ [TOKEN_CLIENT.id]: TOKEN_CLIENT.secret });
  // An endpoint with a 1 s timeout has 5 s for its attempt and sends only with a second left.
  tokens.answerDelayMs = 4_100;
  try {
    const event = anEvent({ id: 'evt_replay_local_failed' });
    const handle = await startDelivery({
      event,
      targets: [
        aTarget(target.url, {
          endpointId: 'replay-slow-token',
          timeoutMs: 1_000,
          auth: anOAuth2Client(tokens.url, TOKEN_CLIENT.id, TOKEN_CLIENT.secretEnv),
        }),
      ],
    });
    const report = await handle.result();
    const attempts = report.deliveries[0]?.attempts ?? [];
    if (report.status !== 'succeeded' || attempts.length !== 1) throw new Error(`localFailed: ${JSON.stringify(report)}`);
    const events = (await handle.fetchHistory()).events ?? [];
    if (
      !events.some((entry) => entry.markerRecordedEventAttributes?.failure) ||
      !events.some((entry) => entry.activityTaskScheduledEventAttributes)
    ) {
      throw new Error('localFailed: no failed local attempt followed by an ordinary one in the history');
    }
  } finally {
    await tokens.close();
  }
  await save('deliver-event.local-failed', eventWorkflowId('evt_replay_local_failed'));
}

/** Three events to an endpoint with ordering: fifo, the first retried: the others wait in its entity's line. */
async function ordered(): Promise<void> {
  const ledger = await receiver();
  ledger.script({ status: 503 });
  const entity = await startEntity(anEndpoint('replay-ledger', ledger.url, { ordering: 'fifo' }));
  const target = aTarget(ledger.url, { endpointId: 'replay-ledger', ordering: { onFailure: 'skip' }, retry: retryAfter([300]) });
  const events = [1, 2, 3].map((n) => anEvent({ id: `evt_replay_ordered_${n}` }));
  const started = [];
  // One after another, as the API accepts them: each joins the line from its first workflow task.
  for (const event of events) {
    started.push(await startDelivery({ event, targets: [target] }));
    // Its first task has signalled the entity: the next event joins behind it.
    await until(
      `${event.id} is in line`,
      async () => (await client.workflow.getHandle(eventWorkflowId(event.id)).describe()).historyLength >= 5,
    );
  }
  await Promise.all(started.map((handle) => handle.result()));
  await entity.executeUpdate(retireUpdate);
  for (const [index, event] of events.entries()) await save(`deliver-event.ordered-${index + 1}`, eventWorkflowId(event.id));
  await save('endpoint.ordered', endpointWorkflowId('replay-ledger'));
}

/**
 * An event put in an endpoint's line before its delivery starts, as the API does: its turn comes before its workflow
 * is there, so it is told again once it joins itself, and the entity waits for that signal to go out.
 */
async function orderedJoinedFirst(): Promise<void> {
  const ledger = await receiver();
  const entity = await startEntity(anEndpoint('replay-ledger-early', ledger.url, { ordering: 'fifo' }));
  const event = anEvent({ id: 'evt_replay_joined_first' });
  const workflowId = eventWorkflowId(event.id);
  await entity.signal(joinLineSignal, { workflowId, eventId: event.id, acceptedAt: Date.now() });
  await until('its turn was given and could not be told', async () => {
    const line = await entity.query(lineQuery);
    return line.inFlight?.workflowId === workflowId && line.turn === 'unsent';
  });
  const target = aTarget(ledger.url, { endpointId: 'replay-ledger-early', ordering: { onFailure: 'skip' } });
  await (await startDelivery({ event, targets: [target] })).result();
  await ledger.waitForRequests(1);
  await entity.executeUpdate(retireUpdate);
  await save('deliver-event.ordered-joined-first', workflowId);
  await save('endpoint.ordered-joined-first', endpointWorkflowId('replay-ledger-early'));
}

/**
 * A paused FIFO endpoint whose line holds one: the first event waits in line; the second, started past the bound, is
 * refused and told at once; the third, put in line before it starts (as the API does), is refused while its workflow
 * is not there yet, and told when it joins itself. Resumed, the first is delivered; the others end cancelled.
 */
async function lineRefused(): Promise<void> {
  const ledger = await receiver();
  const settings = { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 1 };
  const entity = await startEntity(anEndpoint('replay-short-line', ledger.url, { ordering: 'fifo' }), { settings });
  await entity.signal(pauseSignal, 'deploying');
  const target = aTarget(ledger.url, { endpointId: 'replay-short-line', ordering: { onFailure: 'skip' } });
  const inLine = (workflowId: string) => async () =>
    (await entity.query(lineQuery)).waiting.some((entry) => entry.workflowId === workflowId);
  const first = await startDelivery({ event: anEvent({ id: 'evt_replay_line_within_bound' }), targets: [target] });
  await until('the first waits in line', inLine(first.workflowId));
  const second = await startDelivery({ event: anEvent({ id: 'evt_replay_line_refused' }), targets: [target] });
  const secondReport = await second.result();
  const third = anEvent({ id: 'evt_replay_line_refused_joined_first' });
  await entity.signal(joinLineSignal, { workflowId: eventWorkflowId(third.id), eventId: third.id, acceptedAt: Date.now() });
  await until('the third was refused before it started', async () => {
    const events = (await entity.fetchHistory()).events ?? [];
    return events.some((event) => event.signalExternalWorkflowExecutionFailedEventAttributes);
  });
  const thirdReport = await (await startDelivery({ event: third, targets: [target] })).result();
  for (const report of [secondReport, thirdReport]) {
    if (report.deliveries[0]?.status !== 'cancelled') throw new Error(`lineRefused: ${JSON.stringify(report)}`);
  }
  await entity.signal(resumeSignal);
  await first.result();
  await ledger.waitForRequests(1);
  await entity.executeUpdate(retireUpdate);
  await save('deliver-event.line-within-bound', first.workflowId);
  await save('deliver-event.line-refused', second.workflowId);
  await save('deliver-event.line-refused-joined-first', eventWorkflowId(third.id));
  await save('endpoint.line-refused', entity.workflowId);
}

/**
 * Signals that reach a FIFO entity before its first task (no worker polls its queue yet), in an order its handlers are
 * not set in: a disable, an enable and a pause, then a join, a leave and a join to a line that holds one. From
 * `early-signals-in-arrival-order` on they run in the order they came: the entity ends paused, the second in line.
 */
async function earlySignals(): Promise<void> {
  const entityQueue = `${TASK_QUEUE}-early`;
  const endpoint = anEndpoint('replay-early-signals', 'http://127.0.0.1:1/never-called', { ordering: 'fifo' });
  const entity = await startEntity(endpoint, { settings: { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 1 } }, entityQueue);
  const entry = (n: number) => ({
    workflowId: eventWorkflowId(`evt_replay_early_${n}`),
    eventId: `evt_replay_early_${n}`,
    acceptedAt: Date.now(),
  });
  await entity.signal(disableSignal, 'rotating its credentials');
  await entity.signal(enableSignal);
  await entity.signal(pauseSignal, 'the last word');
  await entity.signal(joinLineSignal, entry(1));
  await entity.signal(leaveLineSignal, { workflowId: entry(1).workflowId, eventId: entry(1).eventId, failed: false });
  await entity.signal(joinLineSignal, entry(2));
  await whileAWorkerPolls(entityQueue, async () => {
    // Queried once its first task is done: every signal came before it.
    await until('the entity answers', () =>
      entity.query(stateQuery).then(
        () => true,
        () => false,
      ),
    );
    const state = await entity.query(stateQuery);
    const waiting = (await entity.query(lineQuery)).waiting.map((waiting) => waiting.workflowId);
    if (state.status !== 'paused' || waiting.join() !== entry(2).workflowId) {
      throw new Error(`earlySignals: ${state.status}, waiting ${waiting.join()}`);
    }
    await entity.executeUpdate(retireUpdate);
  });
  await save('endpoint.early-signals', entity.workflowId);
}

async function held(): Promise<void> {
  const target = await receiver();
  const entity = await startEntity(anEndpoint('replay-held', target.url));
  await entity.signal(pauseSignal, 'deploying');
  await untilListed('replay-held', 'paused');
  // Paused as routed: held before the first attempt. And routed while active, then held by the worker's view.
  const routedPaused = anEvent({ id: 'evt_replay_held_at_routing' });
  const routedActive = anEvent({ id: 'evt_replay_held_by_worker' });
  const start = (event: typeof routedPaused, extra: object) =>
    startDelivery({ event, targets: [{ ...aTarget(target.url, { endpointId: 'replay-held' }), statusVersion: 1, ...extra }] });
  const first = await start(routedPaused, { statusVersion: 2, holdReason: 'deploying' });
  const second = await start(routedActive, {});
  await until('both deliveries are held', async () => (await heldCount(entity)) === 2);
  await entity.signal(resumeSignal);
  await Promise.all([first.result(), second.result()]);
  await target.waitForRequests(2);
  await save('deliver-event.held-at-routing', first.workflowId);
  await save('deliver-event.held-by-worker', second.workflowId);
  await save('endpoint.held-and-released', entity.workflowId);
}

/**
 * A paused endpoint that holds one delivery at most: the second is turned away, waits on a timer of its own and asks
 * again (turned away again), and both are sent once the endpoint is resumed.
 */
async function heldPastBound(): Promise<void> {
  const target = await receiver();
  const settings = { ...DEFAULT_ENDPOINT_SETTINGS, maxHeldDeliveries: 1, askAgainAfterMs: 300 };
  const entity = await startEntity(anEndpoint('replay-bounded', target.url), { settings });
  await entity.signal(pauseSignal, 'deploying');
  await untilListed('replay-bounded', 'paused');
  const start = (id: string) =>
    startDelivery({
      event: anEvent({ id }),
      targets: [{ ...aTarget(target.url, { endpointId: 'replay-bounded' }), statusVersion: 2, holdReason: 'deploying' }],
    });
  const first = await start('evt_replay_bounded_held');
  await until('the first is held', async () => (await heldCount(entity)) === 1);
  const second = await start('evt_replay_bounded_turned_away');
  await until('the second has asked twice', async () => {
    const events = (await second.fetchHistory()).events ?? [];
    return events.filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'hold').length >= 2;
  });
  await entity.signal(resumeSignal);
  await Promise.all([first.result(), second.result()]);
  await target.waitForRequests(2);
  await save('deliver-event.held-within-bound', first.workflowId);
  await save('deliver-event.turned-away-past-bound', second.workflowId);
  await save('endpoint.held-past-bound', entity.workflowId);
}

/** A delivery routed to a paused endpoint whose entity is gone when it asks to be held: cancelled, not sent. */
async function heldWithoutEntity(): Promise<void> {
  const target = await receiver();
  const delivery = await startDelivery({
    event: anEvent({ id: 'evt_replay_held_without_entity' }),
    targets: [{ ...aTarget(target.url, { endpointId: 'replay-no-entity' }), statusVersion: 2, holdReason: 'deploying' }],
  });
  await delivery.result();
  await save('deliver-event.held-without-entity', delivery.workflowId);
}

async function heldThenDisabled(): Promise<void> {
  const target = await receiver();
  const entity = await startEntity(anEndpoint('replay-cancelled', target.url));
  await entity.signal(pauseSignal);
  const event = anEvent({ id: 'evt_replay_cancelled' });
  const delivery = await startDelivery({
    event,
    targets: [
      { ...aTarget(target.url, { endpointId: 'replay-cancelled' }), statusVersion: 2, holdReason: 'paused by an operator' },
      { ...aTarget(target.url, { endpointId: 'replay-skipped' }), skipReason: 'skipped: endpoint disabled (maintenance)' },
    ],
  });
  await until('the delivery is held', async () => (await heldCount(entity)) === 1);
  await entity.signal(disableSignal, 'receiver retired');
  await delivery.result();
  await save('deliver-event.held-then-disabled', delivery.workflowId);
  await save('endpoint.held-then-disabled', entity.workflowId);
}

async function gone(): Promise<void> {
  const target = await receiver();
  target.script({ status: 410 });
  const watcher = await receiver();
  const goneEntity = await startEntity(anEndpoint('replay-gone', target.url));
  const opsEntity = await startEntity(anEndpoint('replay-ops', watcher.url, { events: ['endpoint.*'] }));
  await untilListed('replay-ops', 'active');
  const event = anEvent({ id: 'evt_replay_gone' });
  await (await startDelivery({ event, targets: [{ ...aTarget(target.url, { endpointId: 'replay-gone' }), statusVersion: 1 }] })).result();
  await watcher.waitForRequests(1, WAIT_MS);
  const noticeId = JSON.parse(watcher.requests[0]?.body ?? '{}') as { data?: { endpoint_id?: string } };
  if (noticeId.data?.endpoint_id !== 'replay-gone') throw new Error('the endpoint.disabled event did not arrive');
  const notice = String(watcher.requests[0]?.headers['webhook-id']);
  await client.workflow.getHandle(eventWorkflowId(notice)).result();
  await save('deliver-event.gone', eventWorkflowId(event.id));
  await save('endpoint.gone', goneEntity.workflowId);
  await save('deliver-event.operational', eventWorkflowId(notice));
  await opsEntity.executeUpdate(retireUpdate);
  await save('endpoint.retired', opsEntity.workflowId);
}

async function failing(): Promise<void> {
  const entity = await startEntity(anEndpoint('replay-failing', 'http://127.0.0.1:1/never'), {
    settings: { releasePerSecond: 10, autoDisableAfterMs: 1_000 },
  });
  const failedAt = new Date(Date.now() - 5_000).toISOString();
  await entity.signal(healthSignal, {
    delivered: 0,
    failed: 3,
    lastFailureAt: failedAt,
    failedSinceLastSuccess: 3,
    firstFailureSinceLastSuccessAt: failedAt,
  });
  await until('the failing endpoint is disabled', async () => (await entity.query(stateQuery)).status === 'disabled');
  await until('its notice is handed over', async () => (await entity.query(stateQuery)).pendingNotices.length === 0);
  await save('endpoint.auto-disabled', entity.workflowId);
}

async function lifecycle(): Promise<void> {
  const endpoint = anEndpoint('replay-lifecycle', 'https://hooks.example.com/a');
  const entity = await startEntity(endpoint, { historyLimit: 40 });
  const now = new Date().toISOString();
  await entity.signal(pauseSignal, 'maintenance window');
  await entity.signal(pauseSignal, 'paused twice');
  await entity.signal(resumeSignal);
  await entity.signal(resumeSignal);
  await entity.signal(disableSignal);
  await entity.signal(pauseSignal, 'paused while disabled');
  await entity.signal(enableSignal);
  await entity.signal(healthSignal, {
    delivered: 2,
    failed: 1,
    lastSuccessAt: now,
    lastFailureAt: now,
    failedSinceLastSuccess: 0,
  });
  await entity.executeUpdate(configureUpdate, { args: [{ definition: { ...endpoint, url: 'https://hooks.example.com/b' } }] });
  await entity.executeUpdate(configureUpdate, { args: [{ definition: { ...endpoint, url: 'https://hooks.example.com/b' } }] });
  await entity.executeUpdate(configureUpdate, {
    args: [{ definition: { ...endpoint, enabled: false }, settings: { releasePerSecond: 5, autoDisableAfterMs: 60_000 } }],
  });
  await entity.executeUpdate(configureUpdate, { args: [{ definition: { ...endpoint, enabled: true } }] });
  await entity.signal(pauseSignal);
  await entity.signal(resumeSignal);
  await until('the entity continued as new', async () => (await entity.describe()).runId !== entity.firstExecutionRunId);
  await entity.signal(disableSignal, 'before retiring');
  await entity.executeUpdate(retireUpdate);
  await entity.result();
  await save('endpoint.lifecycle', entity.workflowId);
}

async function interleaved(): Promise<void> {
  // Jobs of several endpoints in one workflow task: the workflow worker is away while retry timers fire and attempts
  // complete, so the task it gets on its return holds completions and timer fires together, and the order of the
  // commands they cause is what a replay checks.
  const queue = 'replay-fixtures-split';
  const session = openWorkerSession({ client, taskQueue: queue, config: LOOPBACK_CONFIG, env: process.env, userAgent: 'replay-fixtures' });
  const activityWorker = await Worker.create({ connection: workerConnection, taskQueue: queue, activities: session.activities });
  const activitiesRunning = activityWorker.run();
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  const workflowWorker = () => Worker.create({ connection: workerConnection, taskQueue: queue, workflowBundle: bundle });
  let flows = await workflowWorker();
  let flowsRunning = flows.run();

  const [a, b, c, d] = [await receiver(), await receiver(), await receiver(), await receiver()];
  a.script({ status: 503 });
  c.script({ status: 500 });
  b.script({ status: 500, delayMs: 2_500 });
  d.script({ status: 503, delayMs: 1_000 });
  const event = anEvent({ id: 'evt_replay_interleaved' });
  // Ordinary first attempts, which the activity worker runs while the workflow worker is away.
  const ordinary = { firstAttemptAsActivity: true } as const;
  const handle = await startDelivery(
    {
      event,
      targets: [
        aTarget(a.url, { endpointId: 'mixed-a', retry: retryAfter([1_500]), ...ordinary }),
        aTarget(b.url, { endpointId: 'mixed-b', retry: retryAfter([1_000]), ...ordinary }),
        aTarget(c.url, { endpointId: 'mixed-c', retry: retryAfter([1_500]), ...ordinary }),
        aTarget(d.url, { endpointId: 'mixed-d', retry: retryAfter([1_000]), ...ordinary }),
      ],
    },
    queue,
  );
  await until('the first attempts of a and c failed', () => a.requests.length === 1 && c.requests.length === 1);
  await delay(300);
  flows.shutdown();
  await flowsRunning;
  await until('b answered', () => b.requests.length === 1);
  await delay(3_000);
  flows = await workflowWorker();
  flowsRunning = flows.run();
  await handle.result();
  flows.shutdown();
  await flowsRunning;
  activityWorker.shutdown();
  await activitiesRunning;
  await session.close();
  await save('deliver-event.interleaved', eventWorkflowId(event.id));
}

async function parts(): Promise<void> {
  const target = await receiver();
  const event = anEvent({ id: 'evt_replay_parts' });
  await (
    await startDelivery({
      event,
      targets: ['a', 'b', 'c', 'd', 'e'].map((id) => aTarget(target.url, { endpointId: `part-${id}` })),
      partLimits: { maxTargets: 2, maxIdsBytes: 1_800 },
    })
  ).result();
  await save('deliver-event.parts', eventWorkflowId(event.id));
  await save('deliver-event.parts.part-1', `${eventWorkflowId(event.id)}/part-1`);
}

async function wide(): Promise<void> {
  // More endpoints than the fast path's small fan-out, in one workflow: how first attempts and a retry of a wide
  // fan-out run (activities, with or without the event in their input, by the delivery's version).
  const target = await receiver();
  const flaky = await receiver();
  flaky.script({ status: 500 });
  const event = anEvent({ id: 'evt_replay_wide' });
  await (
    await startDelivery({
      event,
      targets: [
        ...Array.from({ length: 11 }, (_, index) => aTarget(target.url, { endpointId: `wide-${index}` })),
        aTarget(flaky.url, { endpointId: 'wide-flaky', retry: retryAfter([300]) }),
      ],
    })
  ).result();
  await save('deliver-event.wide', eventWorkflowId(event.id));
}

async function sent(): Promise<void> {
  const target = await receiver();
  const plugin = new WebhooksPlugin({
    config: defineConfig({
      delivery: { allow_destinations: ['loopback'] },
      endpoints: [
        { id: 'replay-shop-crm', url: target.url, events: ['order.*'] },
        // 17 endpoints that may each try 100 times: an event to them is split by attempts (1,700 > 1,666).
        ...Array.from({ length: 17 }, (_, index) => ({
          id: `replay-shop-bulk-${index}`,
          url: target.url,
          events: ['bulk.*'],
          retry: { exponential: { maximum_attempts: 100 } },
        })),
      ],
    }),
    healthReportIntervalMs: 200,
  });
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection, taskQueue: SHOP_QUEUE, workflowsPath: SHOP_WORKFLOWS, plugins: [plugin] });
  const running = worker.run();
  const shop = new Client({ connection: client.connection, plugins: [plugin] });
  await until('the config endpoint is reconciled', async () => {
    const query = `WorkflowId = '${endpointWorkflowId('replay-shop-crm')}'`;
    for await (const _ of shop.workflow.list({ query })) return true;
    return false;
  });
  await delay(1_000);
  await shop.workflow.execute<typeof checkout>('checkout', { workflowId: 'replay-checkout', taskQueue: SHOP_QUEUE, args: ['r1', true] });
  await shop.workflow.execute<typeof sendAs>('sendAs', {
    workflowId: 'replay-send-duplicate',
    taskQueue: SHOP_QUEUE,
    args: [{ id: 'order-r1.paid', type: 'order.paid', data: { orderId: 'r1', total: 4200 } }],
  });
  await shop.workflow.execute<typeof sendAs>('sendAs', {
    workflowId: 'replay-send-bulk',
    taskQueue: SHOP_QUEUE,
    args: [{ id: 'bulk-r1', type: 'bulk.sent', data: { batch: 1 } }],
  });
  await until('the bulk event is delivered in parts', async () => {
    const { status } = await shop.workflow.getHandle(eventWorkflowId('bulk-r1')).describe();
    return status.name === 'COMPLETED';
  });
  worker.shutdown();
  await running;
  await connection.close();
  await save('shop.checkout', 'replay-checkout');
  await save('shop.send-duplicate', 'replay-send-duplicate');
  await save('shop.send-bulk', 'replay-send-bulk');
  await save('deliver-event.sent-in-parts', eventWorkflowId('bulk-r1'));
  await save('deliver-event.sent-by-workflow', eventWorkflowId('order-r1.paid'));
  await save('endpoint.reconciled', endpointWorkflowId('replay-shop-crm'));
}

/**
 * A held backlog released over more than one run: the entity breaks its release for a continue-as-new once its history
 * is long (a limit of 40 events here, two releases a second) and its next run goes on where it stopped.
 */
async function releasedAcrossRuns(): Promise<void> {
  const endpoint = anEndpoint('replay-backlog', 'http://127.0.0.1:9/never');
  const entity = await startEntity(endpoint, { historyLimit: 40, settings: { ...DEFAULT_ENDPOINT_SETTINGS, releasePerSecond: 2 } });
  await entity.signal(pauseSignal);
  // Deliveries that are not there: telling them fails, which the entity takes as already ended.
  for (let index = 0; index < 12; index++) await entity.signal(holdSignal, `event/replay-backlog-${index}`);
  await until('the backlog is held', async () => (await heldCount(entity)) === 12);
  await entity.signal(resumeSignal);
  const latest = client.workflow.getHandle<typeof webhookEndpoint>(entity.workflowId);
  await until('the backlog is released in a later run', async () => {
    const { runId } = await latest.describe();
    return runId !== entity.firstExecutionRunId && (await heldCount(latest)) === 0;
  });
  await latest.executeUpdate(retireUpdate);
  await save('endpoint.released-across-runs', entity.workflowId);
}

/**
 * A deleted endpoint's held backlog sent away over more than one run: the retiring entity continues as new once its
 * history is long (40 events here, two a second), `retiring` in its input, and its last run ends once all are told.
 */
async function retiredAcrossRuns(): Promise<void> {
  const endpoint = anEndpoint('replay-retired-backlog', 'http://127.0.0.1:9/never');
  const entity = await startEntity(endpoint, { historyLimit: 40, settings: { ...DEFAULT_ENDPOINT_SETTINGS, releasePerSecond: 2 } });
  await entity.signal(pauseSignal);
  for (let index = 0; index < 12; index++) await entity.signal(holdSignal, `event/replay-retired-backlog-${index}`);
  await until('the backlog is held', async () => (await heldCount(entity)) === 12);
  await entity.executeUpdate(retireUpdate);
  // Ignored: a deleted endpoint stays deleted.
  await entity.signal(enableSignal);
  await client.workflow.getHandle(entity.workflowId).result();
  await save('endpoint.retired-across-runs', entity.workflowId);
}

/** A disable that sends more deliveries away than one task may signal: 501 waiting in line go in chunks of 500. */
async function lineSentAway(): Promise<void> {
  const entity = await startEntity(anEndpoint('replay-long-line', 'http://127.0.0.1:9/never', { ordering: 'fifo' }));
  const joining = Array.from({ length: 502 }, (_, index) => index);
  for (let start = 0; start < joining.length; start += 50) {
    await Promise.all(
      joining.slice(start, start + 50).map((index) =>
        entity.signal(joinLineSignal, {
          workflowId: `event/replay-line-${index}`,
          eventId: `replay-line-${index}`,
          acceptedAt: Date.now(),
        }),
      ),
    );
  }
  await entity.signal(disableSignal, 'too many waiting');
  await until('the line is sent away', async () => {
    const events = (await entity.fetchHistory()).events ?? [];
    return events.filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes).length >= 502;
  });
  await entity.executeUpdate(retireUpdate);
  await save('endpoint.line-sent-away', entity.workflowId);
}

/** A wide event one of whose parts is terminated by hand: the others go on, and that one is reported failed. */
async function partEnded(): Promise<void> {
  const target = await receiver();
  const down = await receiver();
  down.script({ status: 503 });
  const event = anEvent({ id: 'evt_replay_part_ended' });
  const delivery = await startDelivery({
    event,
    targets: [
      ...[0, 1].map((index) => aTarget(down.url, { endpointId: `ended-${index}`, retry: retryAfter([3_600_000]) })),
      ...[0, 1].map((index) => aTarget(target.url, { endpointId: `going-${index}` })),
    ],
    partLimits: { maxTargets: 2, maxIdsBytes: 1_800 },
  });
  await down.waitForRequests(2, WAIT_MS);
  await client.workflow.getHandle(`${eventWorkflowId(event.id)}/part-1`).terminate('replay fixture: a part ended by hand');
  await delivery.result();
  await save('deliver-event.part-ended', eventWorkflowId(event.id));
}

/** The book of inbound sources through each of its updates, a refused one, and a continue-as-new. */
async function sources(): Promise<void> {
  const handle = await client.workflow.start(webhookSourceDirectory, {
    workflowId: sourceDirectoryWorkflowId(TASK_QUEUE),
    taskQueue: TASK_QUEUE,
    args: [{ changesPerRun: 4 }],
  });
  const source = (id: string, auth: SourceDefinition['auth']): SourceDefinition => ({ id, event_type: 'ci.built', enabled: true, auth });
  await handle.executeUpdate(reconcileSourcesUpdate, {
    args: [[source('from-file', { mode: 'secret', secret_env: 'FILE_SECRET', header: 'x-webhook-secret' })]],
  });
  await handle.executeUpdate(createSourceUpdate, { args: [source('made', { mode: 'hmac-sha256', header: 'x-hub-signature-256' })] });
  await handle.executeUpdate(createSourceUpdate, { args: [source('made', { mode: 'secret' })] }).catch(() => undefined);
  await handle.executeUpdate(changeSourceUpdate, {
    args: [{ ...source('made', { mode: 'hmac-sha256', header: 'x-hub-signature-256' }), enabled: false }],
  });
  await handle.executeUpdate(rotateSourceSecretUpdate, { args: ['made'] });
  // The fifth change lands in the second run.
  await until('the book continued as new', async () => (await handle.describe()).runId !== handle.firstExecutionRunId);
  await client.workflow.getHandle(handle.workflowId).executeUpdate(deleteSourceUpdate, { args: ['made'] });
  await save('source-directory', handle.workflowId);
}

await mkdir(OUT_DIR, { recursive: true });
try {
  for (const scenario of [
    delivered,
    controlled,
    rateLimited,
    slotUnanswered,
    localFailed,
    ordered,
    orderedJoinedFirst,
    lineRefused,
    earlySignals,
    retried,
    interleaved,
    held,
    heldPastBound,
    heldWithoutEntity,
    heldThenDisabled,
    gone,
    failing,
    lifecycle,
    parts,
    wide,
    sent,
    sources,
    releasedAcrossRuns,
    retiredAcrossRuns,
    lineSentAway,
    partEnded,
  ]) {
    console.log(`scenario ${scenario.name}`);
    await scenario();
  }
  // Every entity above announced its changes to its task queue's change log.
  await save('endpoint-changes', endpointChangesWorkflowId(TASK_QUEUE));
  await writeFile(`${OUT_DIR}workflow-ids.json`, `${JSON.stringify(workflowIds, null, 2)}\n`);
} finally {
  gateway.worker.shutdown();
  await gatewayRunning;
  await workerConnection.close();
  await client.connection.close();
  await Promise.all(receivers.map((r) => r.close()));
  await server.stop(5_000);
}

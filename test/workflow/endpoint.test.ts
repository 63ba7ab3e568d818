import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EndpointSchema, type Endpoint } from '../../domain/endpoint.js';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { reconcileEndpoints, REMOVED_FROM_CONFIG } from '../../gateway/reconcile.js';
import proto from '@temporalio/proto';
import { DEFAULT_ENDPOINT_SETTINGS, ENDPOINT_STATE_MEMO } from '../../domain/endpoint-state.js';
import { newEndpointState } from '../../domain/endpoint-transitions.js';
import { lineFullReason } from '../../domain/fifo-line.js';
import {
  configureUpdate,
  disableSignal,
  enableSignal,
  holdSignal,
  joinLineSignal,
  leaveLineSignal,
  lineQuery,
  pauseSignal,
  resumeSignal,
  retireUpdate,
  stateQuery,
  webhookEndpoint,
  type EndpointWorkflowInput,
} from '../../workflows/index.js';
import { endpointStatusKey } from '../../workflows/search-attributes.js';
import { eventsOfType } from '../support/history.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/temporal.js';

const { EventType, TimeoutType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

let client: Client;
let worker: TestWorker;
let taskQueue: string;
let counter = 0;

/** An endpoint with an id no other test uses: entities live in the namespace, beyond one test. */
function anEndpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return EndpointSchema.parse({
    id: `ep-${Date.now().toString(36)}-${counter++}`,
    url: 'https://hooks.example.com/a',
    events: ['order.*'],
    ...overrides,
  });
}

/** Starts an endpoint's entity, with more of its input when given (settings, a carried line, state). */
async function startEntity(endpoint: Endpoint, input: Omit<EndpointWorkflowInput, 'endpoint' | 'source'> = {}, queue = taskQueue) {
  return client.workflow.start(webhookEndpoint, {
    workflowId: endpointWorkflowId(endpoint.id),
    taskQueue: queue,
    args: [{ endpoint, source: 'api', ...input }],
  });
}

beforeAll(async () => {
  client = await connectTestClient();
  taskQueue = uniqueTaskQueue('endpoint');
  worker = await startTestWorker(taskQueue);
});

afterAll(async () => {
  await worker.stop();
  await client.connection.close();
});

describe('webhookEndpoint', () => {
  test('pauses and resumes by plain signal, and says so in its search attribute', async () => {
    const handle = await startEntity(anEndpoint());
    await handle.signal(pauseSignal);
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'paused', statusReason: 'paused by an operator' });
    await expect.poll(async () => (await handle.describe()).typedSearchAttributes.get(endpointStatusKey)).toBe('paused');
    await expect
      .poll(async () => {
        const found: string[] = [];
        for await (const w of client.workflow.list({ query: `WebhookEndpointStatus = 'paused' AND TaskQueue = '${taskQueue}'` }))
          found.push(w.workflowId);
        return found;
      })
      .toContain(handle.workflowId);

    await handle.signal(resumeSignal);
    expect((await handle.query(stateQuery)).status).toBe('active');
  });

  test('disables with a reason and enables again; resume does not lift a disable', async () => {
    const handle = await startEntity(anEndpoint());
    await handle.signal(disableSignal, 'receiver decommissioned');
    await handle.signal(resumeSignal);
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'disabled', statusReason: 'receiver decommissioned' });
    await handle.signal(enableSignal);
    const state = await handle.query(stateQuery);
    expect(state.status).toBe('active');
    expect(state.statusReason).toBeUndefined();
  });

  test('takes signals while no worker runs, and applies them when one starts', async () => {
    const idleQueue = uniqueTaskQueue('no-worker-yet');
    const handle = await startEntity(anEndpoint(), {}, idleQueue);
    await handle.signal(pauseSignal, 'maintenance window');
    const lateWorker = await startTestWorker(idleQueue);
    try {
      expect(await handle.query(stateQuery)).toMatchObject({ status: 'paused', statusReason: 'maintenance window' });
    } finally {
      await lateWorker.stop();
    }
  });

  test('applies the signals that came before its first task in the order they came, not the order of its handlers', async () => {
    const idleQueue = uniqueTaskQueue('no-worker-yet');
    const endpoint = anEndpoint({ ordering: 'fifo' });
    const handle = await startEntity(endpoint, { settings: { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 1 } }, idleQueue);
    const entry = (n: number) => ({ workflowId: `event/${endpoint.id}-${n}`, eventId: `${endpoint.id}-${n}`, acceptedAt: Date.now() });
    // In the order of the handlers, the pause would come first and the enable last (the endpoint active), and the
    // second join before the leave (refused by a full line).
    // Early signals no handler takes are dropped and move nothing, one with the SDK's reserved prefix too (the SDK
    // refuses to hand it to a default handler).
    await handle.signal('not-a-signal-of-ours', 'dropped');
    await handle.signal('__temporal_not_ours', 'dropped');
    await handle.signal(disableSignal, 'rotating its credentials');
    await handle.signal(enableSignal);
    await handle.signal(pauseSignal, 'the last word');
    await handle.signal(joinLineSignal, entry(1));
    await handle.signal(leaveLineSignal, { workflowId: entry(1).workflowId, eventId: entry(1).eventId, failed: false });
    await handle.signal(joinLineSignal, entry(2));
    const lateWorker = await startTestWorker(idleQueue);
    try {
      // Every signal came before the first task: the first answer is the last.
      await expect
        .poll(() => handle.query(stateQuery), { timeout: 30_000 })
        .toMatchObject({ status: 'paused', statusReason: 'the last word' });
      expect((await handle.query(lineQuery)).waiting.map((waiting) => waiting.workflowId)).toEqual([entry(2).workflowId]);
      await expect.poll(async () => (await handle.describe()).typedSearchAttributes.get(endpointStatusKey)).toBe('paused');
      expect(await signalsSentPerRun(handle, 'turn')).toEqual([{ sent: [], inputs: [], byTask: [] }]);
      expect(await taskTroubles(handle)).toEqual({ failedByWorker: [], ranTooLong: [] });
    } finally {
      await lateWorker.stop();
    }
  });

  test('refuses an invalid definition in its update validator, leaving the state as it was', async () => {
    const endpoint = anEndpoint();
    const handle = await startEntity(endpoint);
    const invalid = { ...endpoint, url: 'ftp://nope' };
    await expect(handle.executeUpdate(configureUpdate, { args: [{ definition: invalid }] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );
    await expect(handle.executeUpdate(configureUpdate, { args: [{ definition: { ...endpoint, id: 'someone-else' } }] })).rejects.toThrow(
      /Update failed/,
    );
    expect(await handle.query(stateQuery)).toMatchObject({ endpoint, revision: 1 });
  });

  test('follows enabled: false in its definition, without overriding an operator', async () => {
    const endpoint = anEndpoint();
    const handle = await startEntity(endpoint);
    await handle.executeUpdate(configureUpdate, { args: [{ definition: { ...endpoint, enabled: false } }] });
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'disabled', statusReason: 'disabled in its definition', revision: 2 });
    await handle.executeUpdate(configureUpdate, { args: [{ definition: endpoint }] });
    expect((await handle.query(stateQuery)).status).toBe('active');

    await handle.signal(disableSignal, 'operator says no');
    await handle.executeUpdate(configureUpdate, { args: [{ definition: endpoint }] });
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'disabled', statusReason: 'operator says no' });
  });

  test('continues as new before its history grows long, keeping its state', async () => {
    const endpoint = anEndpoint();
    const handle = await startEntity(endpoint, { historyLimit: 20 });
    const firstRun = (await handle.describe()).runId;
    await handle.signal(disableSignal, 'kept across runs');
    for (let i = 0; i < 12; i++) await handle.signal(i % 2 === 0 ? pauseSignal : resumeSignal);

    await expect
      .poll(async () => (await client.workflow.getHandle(handle.workflowId).describe()).runId, { timeout: 10_000 })
      .not.toBe(firstRun);
    expect(await client.workflow.getHandle(handle.workflowId).query(stateQuery)).toMatchObject({
      endpoint,
      status: 'disabled',
      statusReason: 'kept across runs',
    });
  });
});

/** The signals named `name` each run of an entity sent, run after run from its first: whom each was sent to. */
/** The history of every run of an entity, first to last. */
async function historiesPerRun(entity: { readonly workflowId: string; readonly firstExecutionRunId: string }) {
  const histories = [];
  for (let runId: string | undefined = entity.firstExecutionRunId; runId;) {
    const history = await client.workflow.getHandle(entity.workflowId, runId).fetchHistory();
    histories.push(history);
    runId =
      eventsOfType(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)[0]?.workflowExecutionContinuedAsNewEventAttributes
        ?.newExecutionRunId ?? undefined;
  }
  return histories;
}

/**
 * The workflow tasks of every run that the worker failed, or that ran past their time (as a deadlock does). The server
 * fails a task itself when signals come in as the worker continues the run as new (`UNHANDLED_COMMAND`), or pile up
 * while a task runs (`FORCE_CLOSE_COMMAND`), and a loaded machine may see a sticky queue's schedule-to-start time out:
 * those are not the worker's.
 */
async function taskTroubles(entity: { readonly workflowId: string; readonly firstExecutionRunId: string }) {
  const failedByServer = new Set([
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
  ]);
  const events = (await historiesPerRun(entity)).flatMap((history) => history.events ?? []);
  const failedByWorker = events
    .map((event) => event.workflowTaskFailedEventAttributes)
    .filter((failed) => failed && !failedByServer.has(failed.cause ?? WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED))
    .map((failed) => failed?.failure?.message);
  const ranTooLong = events
    .filter((event) => event.workflowTaskTimedOutEventAttributes?.timeoutType === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE)
    .map((event) => event.eventId?.toString());
  return { failedByWorker, ranTooLong };
}

async function signalsSentPerRun(
  entity: { readonly workflowId: string; readonly firstExecutionRunId: string },
  name: string,
): Promise<{ readonly sent: string[]; readonly inputs: unknown[]; readonly byTask: number[] }[]> {
  const runs = [];
  for (const history of await historiesPerRun(entity)) {
    const signals = eventsOfType(history, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
      .map((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes)
      .filter((attributes) => attributes?.signalName === name);
    // How many went out in each workflow task: what Temporal counts as pending at once.
    const byTask = new Map<string, number>();
    for (const attributes of signals) {
      const task = String(attributes?.workflowTaskCompletedEventId);
      byTask.set(task, (byTask.get(task) ?? 0) + 1);
    }
    runs.push({
      sent: signals.map((attributes) => attributes?.workflowExecution?.workflowId ?? ''),
      inputs: signals.map((attributes) => {
        const data = attributes?.input?.payloads?.[0]?.data;
        return data ? (JSON.parse(Buffer.from(data).toString()) as unknown) : undefined;
      }),
      byTask: [...byTask.values()],
    });
  }
  return runs;
}

/** A paused entity that continues as new past 40 events and releases two a second, holding 16 deliveries. */
async function aPausedEntityHoldingSixteen() {
  const endpoint = anEndpoint();
  const handle = await startEntity(endpoint, { historyLimit: 40, settings: { ...DEFAULT_ENDPOINT_SETTINGS, releasePerSecond: 2 } });
  await handle.signal(pauseSignal);
  const held = Array.from({ length: 16 }, (_, index) => `event/${endpoint.id}-held-${index}`);
  await Promise.all(held.map((deliveryWorkflowId) => handle.signal(holdSignal, deliveryWorkflowId)));
  await expect.poll(async () => (await handle.query(stateQuery)).heldDeliveries.length, { timeout: 30_000 }).toBe(16);
  return { endpoint, handle, held };
}

describe('webhookEndpoint with many deliveries to tell', () => {
  test('goes on releasing a held backlog in its next run once its history grows long, each delivery released once', async () => {
    const { handle, held } = await aPausedEntityHoldingSixteen();
    await handle.signal(resumeSignal);

    // Eight batches of two, a second apart: a run that went on releasing to the end would pass its limit twice over.
    await expect
      .poll(async () => (await signalsSentPerRun(handle, 'release')).flatMap((run) => run.sent).length, { timeout: 60_000 })
      .toBe(16);
    const runs = await signalsSentPerRun(handle, 'release');
    expect(runs.flatMap((run) => run.sent).sort()).toEqual([...held].sort());
    expect(runs.filter((run) => run.sent.length > 0).length).toBeGreaterThan(1);
    expect((await handle.query(stateQuery)).heldDeliveries).toEqual([]);
  });

  test('takes a burst of holds with tens of thousands held, with no workflow task failed, each held once in order', async () => {
    // As a run continued from a long pause would start: 30,000 held (about 0.9 MB of input), then 2,000 more ask at
    // once. Each hold used to copy and search the list: a few hundred in one activation passed the SDK's 5 s deadlock
    // timeout, and the entity's workflow task failed at every retry.
    const CARRIED = 30_000;
    const ASKING = 2_000;
    const endpoint = anEndpoint();
    const ids = (kind: string, count: number) =>
      Array.from({ length: count }, (_, index) => `event/evt_${kind}_${String(index).padStart(8, '0')}`);
    const carried = ids('carried', CARRIED);
    const state = {
      ...newEndpointState(endpoint, 'api', { ...DEFAULT_ENDPOINT_SETTINGS, maxHeldDeliveries: 80_000 }, new Date()),
      status: 'paused' as const,
      statusReason: 'deploying',
      heldDeliveries: carried,
    };
    const handle = await startEntity(endpoint, { state });
    const asking = ids('asking', ASKING);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        // Each asks twice: a delivery asking again is held once.
        for (let index = next++; index < ASKING; index = next++) {
          await handle.signal(holdSignal, asking[index] as string);
          await handle.signal(holdSignal, asking[index] as string);
        }
      }),
    );
    await expect
      .poll(async () => (await handle.query(stateQuery)).heldDeliveries.length, { timeout: 120_000, interval: 500 })
      .toBe(CARRIED + ASKING);
    const { heldDeliveries } = await handle.query(stateQuery);
    expect(heldDeliveries.slice(0, CARRIED)).toEqual(carried);
    expect(new Set(heldDeliveries.slice(CARRIED))).toEqual(new Set(asking));
    expect(await taskTroubles(handle)).toEqual({ failedByWorker: [], ranTooLong: [] });
    await handle.terminate('test done');
  }, 150_000);

  test('takes a burst of joins and leaves with tens of thousands in line, with no workflow task failed, keeping its order', async () => {
    // As a FIFO endpoint paused over a weekend would carry its line into a run: 30,000 waiting behind the one in
    // flight. Then 2,000 more join, each twice (by the API and by itself), and 500 of those waiting leave (cancelled).
    // The line's bound is set above the 32,000 (the default, 30,000, would refuse the last to join).
    const CARRIED = 30_000;
    const JOINING = 2_000;
    const endpoint = anEndpoint({ ordering: 'fifo' });
    const lineEntries = (kind: string, count: number) =>
      Array.from({ length: count }, (_, index) => {
        const eventId = `evt_${kind}_${String(index).padStart(8, '0')}`;
        return { workflowId: `event/${eventId}`, eventId, acceptedAt: Date.now() };
      });
    const carried = lineEntries('carried', CARRIED);
    const inFlight = { workflowId: `event/evt_in_flight_${endpoint.id}`, eventId: `evt_in_flight_${endpoint.id}`, acceptedAt: Date.now() };
    const handle = await startEntity(endpoint, {
      settings: { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 60_000 },
      line: { waiting: carried, inFlight, turn: 'sent', checkedAt: Date.now(), checks: 0 },
    });
    const joining = lineEntries('joining', JOINING);
    const leaving = carried.filter((_, index) => index % 60 === 1);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let index = next++; index < JOINING; index = next++) {
          const entry = joining[index] as (typeof joining)[number];
          await handle.signal(joinLineSignal, entry);
          await handle.signal(joinLineSignal, entry);
          const leaver = leaving[index];
          if (leaver) await handle.signal(leaveLineSignal, { workflowId: leaver.workflowId, eventId: leaver.eventId, failed: false });
        }
      }),
    );
    const expectedLength = CARRIED - leaving.length + JOINING;
    await expect.poll(async () => (await handle.query(lineQuery)).waiting.length, { timeout: 120_000, interval: 500 }).toBe(expectedLength);
    const line = await handle.query(lineQuery);
    const left = new Set(leaving.map((entry) => entry.workflowId));
    expect(line.waiting.slice(0, CARRIED - leaving.length)).toEqual(carried.filter((entry) => !left.has(entry.workflowId)));
    expect(new Set(line.waiting.slice(CARRIED - leaving.length).map((entry) => entry.workflowId))).toEqual(
      new Set(joining.map((entry) => entry.workflowId)),
    );
    expect(line.inFlight).toEqual(inFlight);
    expect(await taskTroubles(handle)).toEqual({ failedByWorker: [], ranTooLong: [] });
    await handle.terminate('test done');
  }, 150_000);

  test('sends a long backlog away across runs when deleted, each delivery once, whatever it is sent, and then ends', async () => {
    const { endpoint, handle, held } = await aPausedEntityHoldingSixteen();
    const latest = client.workflow.getHandle(handle.workflowId);
    // Idle once it holds them all: no event comes to continue it as new before the delete.
    const deletedIn = (await latest.describe()).runId;

    expect(await handle.executeUpdate(retireUpdate)).toMatchObject({ status: 'disabled', statusReason: 'deleted' });
    // Sent by hand while it retires, in the run the delete came to and in a run that started retiring: a deleted
    // endpoint stays deleted (an enable would have released the held deliveries to be sent), and refuses changes.
    await handle.signal(enableSignal);
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'disabled', statusReason: 'deleted' });
    await expect.poll(async () => (await latest.describe()).runId, { timeout: 30_000 }).not.toBe(deletedIn);
    await latest.signal(enableSignal);
    expect(await latest.query(stateQuery)).toMatchObject({ status: 'disabled', statusReason: 'deleted' });
    await expect(latest.executeUpdate(configureUpdate, { args: [{ definition: endpoint }] })).rejects.toThrow(/Update failed/);
    // Eight batches of two, a second apart, in runs of at most 40 events: one run sending them all would pass it twice.
    await handle.result();
    const runs = await signalsSentPerRun(handle, 'release');
    expect(runs.flatMap((run) => run.sent).sort()).toEqual([...held].sort());
    expect(runs.filter((run) => run.sent.length > 0).length).toBeGreaterThan(1);
    expect((await latest.describe()).status.name).toBe('COMPLETED');
  });

  test('deliveries turned away and carried into a run are told to ask again while paused, and held after all if not', async () => {
    const settings = { ...DEFAULT_ENDPOINT_SETTINGS, maxHeldDeliveries: 1, askAgainAfterMs: 5_000 };
    // What each release the first run sent said, by delivery (their workflows are not there: telling them fails).
    const releasesSent = async (handle: { workflowId: string; firstExecutionRunId: string }) => {
      const [run] = await signalsSentPerRun(handle, 'release');
      return (run?.sent ?? []).map((workflowId, index) => [workflowId, run?.inputs[index]]);
    };
    const start = async (status: 'paused' | 'active') => {
      const endpoint = anEndpoint();
      const state = { ...newEndpointState(endpoint, 'api', settings, new Date()), status, heldDeliveries: [`event/${endpoint.id}-held`] };
      const turnedAway = [`event/${endpoint.id}-a`, `event/${endpoint.id}-b`];
      const handle = await startEntity(endpoint, { settings, state, turnedAway });
      return { handle, turnedAway, held: state.heldDeliveries };
    };

    const paused = await start('paused');
    await expect.poll(async () => (await releasesSent(paused.handle)).length, { timeout: 30_000 }).toBe(2);
    expect(await releasesSent(paused.handle)).toEqual(
      paused.turnedAway.map((workflowId): [string, unknown] => [workflowId, expect.objectContaining({ askAgainAfterMs: 5_000 })]),
    );
    expect((await paused.handle.query(stateQuery)).heldDeliveries).toEqual(paused.held);

    // Resumed before they were told: held behind the one already held, and released with it, to go on.
    const active = await start('active');
    await expect.poll(async () => (await releasesSent(active.handle)).length, { timeout: 30_000 }).toBe(3);
    const released = await releasesSent(active.handle);
    expect(released.map(([workflowId]) => workflowId)).toEqual([...active.held, ...active.turnedAway]);
    for (const [, release] of released) expect(release).not.toHaveProperty('askAgainAfterMs');
    expect((await active.handle.query(stateQuery)).heldDeliveries).toEqual([]);
  });

  test('tells each delivery turned away once, across runs, however many ask while its history grows past its limit', async () => {
    const endpoint = anEndpoint();
    const settings = { ...DEFAULT_ENDPOINT_SETTINGS, maxHeldDeliveries: 1 };
    const handle = await startEntity(endpoint, { settings, historyLimit: 40 });
    await handle.signal(pauseSignal);
    await handle.signal(holdSignal, `event/${endpoint.id}-held`);
    // Forty asking past the bound, in bursts: each burst's releases and the next burst's holds grow the history past
    // its limit, and those not told yet when a run ends are carried into the next.
    const asking = Array.from({ length: 40 }, (_, index) => `event/${endpoint.id}-asking-${index}`);
    for (let start = 0; start < asking.length; start += 8) {
      await Promise.all(asking.slice(start, start + 8).map((workflowId) => handle.signal(holdSignal, workflowId)));
    }
    await expect
      .poll(async () => (await signalsSentPerRun(handle, 'release')).flatMap((run) => run.sent).length, { timeout: 60_000 })
      .toBe(asking.length);
    const runs = await signalsSentPerRun(handle, 'release');
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.flatMap((run) => run.sent).sort()).toEqual([...asking].sort());
    expect((await handle.query(stateQuery)).heldDeliveries).toEqual([`event/${endpoint.id}-held`]);
  });

  test('a run started retiring sends a batch away before it continues as new again, however short its history limit', async () => {
    const endpoint = anEndpoint();
    const settings = { ...DEFAULT_ENDPOINT_SETTINGS, releasePerSecond: 2 };
    const held = Array.from({ length: 6 }, (_, index) => `event/${endpoint.id}-held-${index}`);
    const deleted = { ...newEndpointState(endpoint, 'api', settings, new Date()), status: 'disabled' as const, statusReason: 'deleted' };
    // Past its limit from its first event: without a batch first, each run would only continue as new.
    const handle = await startEntity(endpoint, {
      settings,
      historyLimit: 1,
      retiring: true,
      state: { ...deleted, heldDeliveries: held },
    });
    await handle.result();
    const runs = await signalsSentPerRun(handle, 'release');
    expect(runs.map((run) => run.sent.length)).toEqual([2, 2, 2]);
    expect(runs.flatMap((run) => run.sent)).toEqual(held);
    // Its input came as a release before states said `deleted` wrote it: every run says it, so the API finds none.
    expect((await handle.describe()).memo?.[ENDPOINT_STATE_MEMO]).toMatchObject({ status: 'disabled', deleted: true });
  });

  test('keeps every delivery that joins its line while it tells the delivery in flight its turn', async () => {
    const endpoint = anEndpoint({ ordering: 'fifo' });
    // In flight, untold: its workflow was not there yet. Each time it joins (as its workflow does when it starts), the
    // entity tells it again and waits for the signal to go out: a wait that joins of other deliveries fall into.
    const inFlight = `event/${endpoint.id}-in-flight`;
    const line = { waiting: [], inFlight: { workflowId: inFlight, eventId: 'in-flight', acceptedAt: Date.now() }, turn: 'unsent' as const };
    const handle = await startEntity(endpoint, { line });
    const joining = Array.from({ length: 160 }, (_, index) => `event/${endpoint.id}-joining-${index}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let index = next++; index < joining.length; index = next++) {
          await handle.signal(joinLineSignal, { workflowId: inFlight, eventId: 'in-flight', acceptedAt: Date.now() });
          await handle.signal(joinLineSignal, {
            workflowId: joining[index] as string,
            eventId: `joining-${index}`,
            acceptedAt: Date.now(),
          });
        }
      }),
    );
    const waiting = (await handle.query(lineQuery)).waiting.map((entry) => entry.workflowId);
    expect(new Set(waiting)).toEqual(new Set(joining));
    // Sent away by the disable, each waiting delivery is told: those the line lost would never be.
    await handle.signal(disableSignal, 'checking the line');
    const toldAway = async () =>
      new Set((await signalsSentPerRun(handle, 'turn')).flatMap((run) => run.sent).filter((workflowId) => workflowId !== inFlight));
    await expect.poll(toldAway, { timeout: 60_000, interval: 500 }).toEqual(new Set(joining));
    await handle.terminate('test done');
  }, 120_000);

  test('refuses joins past the bound of its line, tells the refused deliveries so, and refuses them again once a place opens', async () => {
    const endpoint = anEndpoint({ ordering: 'fifo' });
    const handle = await startEntity(endpoint, { settings: { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 2 } });
    await handle.signal(pauseSignal, 'the line stands still');
    const entry = (n: number) => ({ workflowId: `event/${endpoint.id}-${n}`, eventId: `${endpoint.id}-${n}`, acceptedAt: Date.now() });
    // Signals are handled in the order Temporal accepted them.
    for (const n of [1, 2, 3, 4]) await handle.signal(joinLineSignal, entry(n));
    const refusedTurns = async () =>
      (await signalsSentPerRun(handle, 'turn')).flatMap((run) =>
        run.sent.map((workflowId, index) => ({ workflowId, turn: run.inputs[index] })),
      );
    const refusal = { endpointId: endpoint.id, cancelledReason: lineFullReason(endpoint.id, 2) };
    const turnedIds = async () => new Set((await refusedTurns()).map((turn) => turn.workflowId));
    // Their workflows are not there, so neither is told: each is tried once, and told again when it joins itself.
    await expect.poll(async () => (await refusedTurns()).length, { timeout: 30_000 }).toBe(2);
    expect(await turnedIds()).toEqual(new Set([entry(3).workflowId, entry(4).workflowId]));
    const firstTries = await refusedTurns();
    expect(firstTries.map((turn) => turn.turn)).toEqual(firstTries.map(() => refusal));
    expect((await handle.query(lineQuery)).waiting.map((waiting) => waiting.workflowId)).toEqual([
      entry(1).workflowId,
      entry(2).workflowId,
    ]);
    // A place opens: a refused delivery joining itself stays refused (and is told again), a new one takes the place.
    await handle.signal(leaveLineSignal, { workflowId: entry(1).workflowId, eventId: entry(1).eventId, failed: false });
    await handle.signal(joinLineSignal, entry(3));
    await handle.signal(joinLineSignal, entry(5));
    await expect
      .poll(async () => (await handle.query(lineQuery)).waiting.map((waiting) => waiting.workflowId), { timeout: 30_000 })
      .toEqual([entry(2).workflowId, entry(5).workflowId]);
    await expect
      .poll(async () => (await refusedTurns()).slice(firstTries.length), { timeout: 30_000 })
      .toEqual([{ workflowId: entry(3).workflowId, turn: refusal }]);
    expect(await taskTroubles(handle)).toEqual({ failedByWorker: [], ranTooLong: [] });
    await handle.terminate('test done');
  });

  test('a run carried from one that refused tells those still to tell, and refuses again those it could not tell', async () => {
    const endpoint = anEndpoint({ ordering: 'fifo' });
    const [toTell, untold, newcomer] = ['to-tell', 'untold', 'newcomer'].map((name) => `event/${endpoint.id}-${name}`) as [
      string,
      string,
      string,
    ];
    const handle = await startEntity(endpoint, {
      settings: { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 2 },
      refusedByLine: { toTell: [toTell], remembered: [{ workflowId: untold, told: false, at: Date.now() }] },
    });
    await handle.signal(pauseSignal, 'the line stands still');
    const turned = async () => (await signalsSentPerRun(handle, 'turn')).flatMap((run) => run.sent);
    // Only the one to tell is told at the start; the untold one when it joins itself.
    await expect.poll(turned, { timeout: 30_000 }).toEqual([toTell]);
    // The line is empty: only the refusal carried keeps the untold one out.
    for (const workflowId of [untold, newcomer])
      await handle.signal(joinLineSignal, { workflowId, eventId: workflowId, acceptedAt: Date.now() });
    await expect.poll(turned, { timeout: 30_000 }).toEqual([toTell, untold]);
    expect((await handle.query(lineQuery)).waiting.map((waiting) => waiting.workflowId)).toEqual([newcomer]);
    await handle.terminate('test done');
  });

  test('remembers a refusal it could not tell into its next run, and refuses the delivery’s own join there', async () => {
    const endpoint = anEndpoint({ ordering: 'fifo' });
    const handle = await startEntity(endpoint, { settings: { ...DEFAULT_ENDPOINT_SETTINGS, maxLineLength: 1 }, historyLimit: 60 });
    await handle.signal(pauseSignal, 'the line stands still');
    const entry = (n: number) => ({ workflowId: `event/${endpoint.id}-${n}`, eventId: `${endpoint.id}-${n}`, acceptedAt: Date.now() });
    await handle.signal(joinLineSignal, entry(1));
    // Refused as the API joins it, before its workflow is there: not told.
    await handle.signal(joinLineSignal, entry(2));
    const turnedPerRun = async () => (await signalsSentPerRun(handle, 'turn')).map((run) => run.sent);
    await expect.poll(async () => (await turnedPerRun()).flat(), { timeout: 30_000 }).toEqual([entry(2).workflowId]);
    const refusedIn = (await turnedPerRun()).length;
    // Signals grow the history past its limit: the entity continues as new.
    const latestRun = async () => (await signalsSentPerRun(handle, 'turn')).length;
    for (let sent = 0; sent < 60 && (await latestRun()) === refusedIn; sent++) await handle.signal(pauseSignal, 'the line stands still');
    expect(await latestRun()).toBeGreaterThan(refusedIn);
    // A place opens in the new run; the refused delivery joins itself and is refused (and told), a new one joins.
    await handle.signal(leaveLineSignal, { workflowId: entry(1).workflowId, eventId: entry(1).eventId, failed: false });
    await handle.signal(joinLineSignal, entry(2));
    await handle.signal(joinLineSignal, entry(3));
    await expect
      .poll(async () => (await handle.query(lineQuery)).waiting.map((waiting) => waiting.workflowId), { timeout: 30_000 })
      .toEqual([entry(3).workflowId]);
    await expect.poll(async () => (await turnedPerRun()).flat(), { timeout: 30_000 }).toEqual([entry(2).workflowId, entry(2).workflowId]);
    // Told again in a later run than the one that refused it first.
    const runs = await turnedPerRun();
    expect(runs.findLastIndex((sent) => sent.length > 0)).toBeGreaterThan(refusedIn - 1);
    await handle.terminate('test done');
  });

  test('sends a long line away in chunks when disabled, never more than 500 signals pending at once', async () => {
    const endpoint = anEndpoint({ ordering: 'fifo' });
    const handle = await startEntity(endpoint);
    const waiting = Array.from({ length: 601 }, (_, index) => `event/${endpoint.id}-waiting-${index}`);
    // The first to join takes the turn (its workflow is not there, so it is not told); the other 600 wait behind it.
    for (let start = 0; start < waiting.length; start += 50) {
      await Promise.all(
        waiting
          .slice(start, start + 50)
          .map((workflowId, index) =>
            handle.signal(joinLineSignal, { workflowId, eventId: `waiting-${start + index}`, acceptedAt: Date.now() }),
          ),
      );
    }
    // Signals are handled in the order Temporal accepted them: the disable comes after every join.
    await handle.signal(disableSignal, 'too many waiting');

    await expect
      .poll(async () => (await signalsSentPerRun(handle, 'turn')).flatMap((run) => run.sent).length, { timeout: 60_000 })
      .toBe(601);
    const runs = await signalsSentPerRun(handle, 'turn');
    expect(new Set(runs.flatMap((run) => run.sent))).toEqual(new Set(waiting));
    const chunks = runs.flatMap((run) => run.byTask);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(500);
    expect(chunks.reduce((sum, count) => sum + count, 0)).toBe(601);
  });
});

describe('reconcileEndpoints', () => {
  test('creates, updates and leaves alone the config file’s endpoints, and disables the ones it drops', async () => {
    const queue = uniqueTaskQueue('reconcile');
    const queueWorker = await startTestWorker(queue);
    try {
      const [kept, changed, dropped] = [anEndpoint(), anEndpoint(), anEndpoint()];
      expect(await reconcileEndpoints(client, queue, [kept, changed, dropped])).toEqual({
        created: [kept.id, changed.id, dropped.id],
        updated: [],
        unchanged: [],
        disabled: [],
      });

      const changedAgain = { ...changed, url: 'https://hooks.example.com/moved' };
      // At once, with no wait for visibility, which trails writes: dropping an endpoint right after adding it works.
      expect(await reconcileEndpoints(client, queue, [kept, changedAgain])).toEqual({
        created: [],
        updated: [changed.id],
        unchanged: [kept.id],
        disabled: [dropped.id],
      });
      expect(await (await client.workflow.getHandle(endpointWorkflowId(kept.id)).describe()).staticSummary()).toBe(
        `endpoint ${kept.id} → hooks.example.com`,
      );
      const droppedState = await client.workflow.getHandle(endpointWorkflowId(dropped.id)).query(stateQuery);
      expect(droppedState).toMatchObject({ status: 'disabled', statusReason: REMOVED_FROM_CONFIG });
      expect((await client.workflow.getHandle(endpointWorkflowId(changed.id)).query(stateQuery)).endpoint.url).toBe(changedAgain.url);

      await reconcileEndpoints(client, queue, [kept, changedAgain, dropped]);
      expect((await client.workflow.getHandle(endpointWorkflowId(dropped.id)).query(stateQuery)).status).toBe('active');
    } finally {
      await queueWorker.stop();
    }
  });
});

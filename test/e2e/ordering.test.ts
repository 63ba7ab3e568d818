import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { apiCaller, untilRouted, startGateway, type TestGateway } from '../support/gateway.js';
import { eventsOfType } from '../support/history.js';

const { EventType } = proto.temporal.api.enums.v1;

// ordering: fifo, end to end: deliveries to the endpoint go one at a time, in the order their events were accepted.

let gateway: TestGateway;
let inOrder: Receiver;
let strict: Receiver;

const call = apiCaller(() => gateway);

const numbersOf = (receiver: Receiver): number[] =>
  receiver.requests.map((request) => (JSON.parse(request.body) as { data: { n: number } }).data.n);
/** The line signals endpoint `endpointId`'s entity got about the delivery workflow `workflowId`, in order. */
async function lineSignalsOf(endpointId: string, workflowId: string): Promise<string[]> {
  const history = await gateway.client.workflow.getHandle(endpointWorkflowId(endpointId)).fetchHistory();
  return eventsOfType(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    .map((event) => event.workflowExecutionSignaledEventAttributes)
    .filter((signaled) => signaled?.signalName === 'joinLine' || signaled?.signalName === 'leaveLine')
    .filter((signaled) => {
      const [entry] = signaled?.input?.payloads ?? [];
      return entry !== undefined && defaultPayloadConverter.fromPayload<{ workflowId: string }>(entry).workflowId === workflowId;
    })
    .map((signaled) => signaled?.signalName ?? '');
}
const statusOf = async (eventId: string): Promise<unknown> => (await call('GET', `/v1/events/${eventId}`)).body['status'];

beforeAll(async () => {
  [inOrder, strict] = await Promise.all([startReceiver(), startReceiver()]);
  gateway = await startGateway({});
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([inOrder.close(), strict.close()]);
});

describe('ordering: fifo', () => {
  test('delivers 1..N in acceptance order, the line waiting while one event is retried', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'ledger',
      url: inOrder.url,
      events: ['ledger.*'],
      ordering: 'fifo',
      retry: { schedule: ['1s', '1s', '1s'], jitter: 0 },
    });
    expect(created).toMatchObject({ status: 201, body: { ordering: 'fifo' } });
    await untilRouted(gateway, 'ledger.entry', 'ledger');
    // Event 3 fails twice before it is taken: 4 and later wait for it.
    inOrder.script({ status: 200 }, { status: 200 }, { status: 503 }, { status: 500 });
    for (let n = 1; n <= 8; n++)
      expect((await call('POST', '/v1/events', { id: `ledger-${n}`, type: 'ledger.entry', data: { n } })).status).toBe(202);

    // While event 3 is retried, the next one says why it is not sent.
    await expect
      .poll(async () => ((await call('GET', '/v1/events/ledger-4')).body['deliveries'] as { reason?: string }[])[0]?.reason, {
        timeout: 30_000,
      })
      .toBe('waiting for the deliveries of earlier events (ordering: fifo)');

    await inOrder.waitForRequests(10, 60_000);
    expect(numbersOf(inOrder)).toEqual([1, 2, 3, 3, 3, 4, 5, 6, 7, 8]);
    for (let n = 1; n <= 8; n++) await expect.poll(() => statusOf(`ledger-${n}`), { timeout: 30_000 }).toBe('succeeded');
  });

  test('delivers a batch in the order of its events, though a batch is otherwise started several at a time', async () => {
    const before = inOrder.requests.length;
    const events = Array.from({ length: 12 }, (_, index) => ({
      id: `ledger-batch-${index}`,
      type: 'ledger.entry',
      data: { n: 100 + index },
    }));
    expect(await call('POST', '/v1/events/batch', { events })).toMatchObject({ status: 202, body: { accepted: 12 } });
    await inOrder.waitForRequests(before + 12, 60_000);
    expect(numbersOf(inOrder).slice(before)).toEqual(events.map((event) => event.data.n));
  });

  test('with fifo_on_failure: block, a final failure pauses the endpoint; resumed, the line goes on in order', async () => {
    await call('POST', '/v1/endpoints', {
      id: 'strict-ledger',
      url: strict.url,
      events: ['strict.*'],
      ordering: 'fifo',
      fifo_on_failure: 'block',
      retry: { schedule: ['300ms'], jitter: 0 },
    });
    await untilRouted(gateway, 'strict.entry', 'strict-ledger');
    // Event 2 is refused (a 400 is not retried): it fails for good.
    strict.script({ status: 200 }, { status: 400, body: 'unknown account' });
    for (let n = 1; n <= 4; n++)
      expect((await call('POST', '/v1/events', { id: `strict-${n}`, type: 'strict.entry', data: { n } })).status).toBe(202);

    await expect.poll(() => statusOf('strict-2'), { timeout: 30_000 }).toBe('failed');
    await expect
      .poll(async () => (await call('GET', '/v1/endpoints/strict-ledger')).body, { timeout: 30_000 })
      .toMatchObject({
        status: 'paused',
        status_reason: 'ordering: the delivery of event strict-2 failed for good; resume to go on with the next event',
      });
    expect(numbersOf(strict)).toEqual([1, 2]);
    expect(await statusOf('strict-3')).toBe('pending');

    expect((await call('POST', '/v1/endpoints/strict-ledger/resume')).status).toBe(200);
    await strict.waitForRequests(4, 30_000);
    expect(numbersOf(strict)).toEqual([1, 2, 3, 4]);
    await expect.poll(() => statusOf('strict-4'), { timeout: 30_000 }).toBe('succeeded');
  });

  test('a repeat of an event already delivered leaves the line at once, so the events after it do not wait for it', async () => {
    const before = inOrder.requests.length;
    const repeat = await call('POST', '/v1/events', { id: 'ledger-1', type: 'ledger.entry', data: { n: 1 } });
    expect(repeat.status).toBe(202);
    // Joined again by the API as it accepted the repeat, and left at once, its delivery being over.
    const leaves = async () => (await lineSignalsOf('ledger', 'event/ledger-1')).filter((name) => name === 'leaveLine').length;
    await expect.poll(leaves, { timeout: 30_000 }).toBe(2);
    expect((await lineSignalsOf('ledger', 'event/ledger-1')).slice(-2)).toEqual(['joinLine', 'leaveLine']);
    expect((await call('POST', '/v1/events', { id: 'ledger-9', type: 'ledger.entry', data: { n: 9 } })).status).toBe(202);
    await inOrder.waitForRequests(before + 1, 30_000);
    expect(numbersOf(inOrder).slice(before)).toEqual([9]);
  });

  test('a redelivery goes out of line, at once, and disabling the endpoint cancels the deliveries waiting in line', async () => {
    const redelivered = await call('POST', '/v1/events/strict-2/redeliver', { endpoint_id: 'strict-ledger' });
    expect(redelivered.status).toBe(202);
    await strict.waitForRequests(5, 30_000);
    expect(numbersOf(strict)).toEqual([1, 2, 3, 4, 2]);

    // A slow receiver holds the line; the events behind it are cancelled when the endpoint is disabled, long before
    // the slow answer comes.
    strict.script({ status: 200, delayMs: 10_000 });
    for (let n = 5; n <= 7; n++)
      expect((await call('POST', '/v1/events', { id: `strict-${n}`, type: 'strict.entry', data: { n } })).status).toBe(202);
    await strict.waitForRequests(6, 30_000);
    expect((await call('POST', '/v1/endpoints/strict-ledger/disable', { reason: 'account closed' })).status).toBe(200);
    for (const n of [6, 7]) await expect.poll(() => statusOf(`strict-${n}`), { timeout: 30_000 }).toBe('cancelled');
    const [delivery] = (await call('GET', '/v1/events/strict-7')).body['deliveries'] as { reason?: string; attempts: unknown[] }[];
    expect(delivery).toMatchObject({ reason: 'endpoint disabled (account closed)', attempts: [] });
    await expect.poll(() => statusOf('strict-5'), { timeout: 30_000 }).toBe('succeeded');
    expect(numbersOf(strict)).toEqual([1, 2, 3, 4, 2, 5]);

    // Enabled again, the line goes on with the next event.
    expect((await call('POST', '/v1/endpoints/strict-ledger/enable')).status).toBe(200);
    await untilRouted(gateway, 'strict.entry', 'strict-ledger', (endpoint) => endpoint.status === 'active');
    expect((await call('POST', '/v1/events', { id: 'strict-8', type: 'strict.entry', data: { n: 8 } })).status).toBe(202);
    await strict.waitForRequests(7, 30_000);
    expect(numbersOf(strict)).toEqual([1, 2, 3, 4, 2, 5, 8]);
  });

  test('keeps the order for an endpoint whose events are split into parts by the attempts their endpoints may take', async () => {
    const [crowd, splitLedger] = await Promise.all([startReceiver(), startReceiver()]);
    try {
      // 18 endpoints of up to 100 attempts each pass what one workflow's history should hold: each event goes in parts.
      const patient = { exponential: { initial_interval: '1s', maximum_attempts: 100 }, jitter: 0 };
      const crowdIds = Array.from({ length: 17 }, (_, index) => `split-crowd-${index}`);
      for (const id of crowdIds) {
        expect((await call('POST', '/v1/endpoints', { id, url: crowd.url, events: ['split.*'], retry: patient })).status).toBe(201);
      }
      const ledger = { id: 'split-ledger', url: splitLedger.url, events: ['split.*'], ordering: 'fifo', retry: patient };
      expect((await call('POST', '/v1/endpoints', ledger)).status).toBe(201);
      for (const id of [...crowdIds, 'split-ledger']) await untilRouted(gateway, 'split.entry', id);

      // Event 1 fails once: the events after it wait in line behind a part of it.
      splitLedger.script({ status: 503 });
      for (let n = 1; n <= 4; n++)
        expect((await call('POST', '/v1/events', { id: `split-${n}`, type: 'split.entry', data: { n } })).status).toBe(202);
      await splitLedger.waitForRequests(5, 90_000);
      expect(numbersOf(splitLedger)).toEqual([1, 1, 2, 3, 4]);
      await crowd.waitForRequests(4 * crowdIds.length, 90_000);

      // The line was held by the part that had the endpoint (joined by the API, then by the part as it started), not
      // by the event's own workflow.
      const heldBy = await Promise.all(
        ['event/split-1', 'event/split-1/part-1', 'event/split-1/part-2'].map((id) => lineSignalsOf('split-ledger', id)),
      );
      const holders = heldBy.filter((signals) => signals.length > 0);
      expect(holders).toHaveLength(1);
      expect(heldBy[0]).toEqual([]);
      expect([holders[0]?.[0], holders[0]?.at(-1)]).toEqual(['joinLine', 'leaveLine']);
      for (let n = 1; n <= 4; n++) await expect.poll(() => statusOf(`split-${n}`), { timeout: 30_000 }).toBe('succeeded');
    } finally {
      await Promise.all([crowd.close(), splitLedger.close()]);
    }
  }, 180_000);
});

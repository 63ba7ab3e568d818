import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { timerSummaries } from '../support/history.js';
import { untilRouted, apiCaller, startGateway, type TestGateway } from '../support/gateway.js';
import { startProcessWorker, type ProcessWorker } from '../support/temporal.js';

// A rate limit holds across workers: two worker processes share the endpoint's limit through its entity.

// Ten seconds' worth at the limit. On a loaded CI machine the slots' updates time out and attempts back off, which
// stretched 100 events past two minutes; the limit's behaviour shows as well in fifty.
const EVENTS = 50;

let gateway: TestGateway;
let secondWorker: ProcessWorker;
let receiver: Receiver;

const call = apiCaller(() => gateway);

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway({}, undefined, { workerProcess: true });
  secondWorker = await startProcessWorker(gateway.config.temporal.task_queue);
});

afterAll(async () => {
  await secondWorker.stop();
  await gateway.stop();
  await receiver.close();
});

describe('a rate limit', () => {
  test('lets no more than 5 requests a second reach the receiver from two workers, and delivers every event once', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'slow-receiver',
      url: receiver.url,
      events: ['limited.*'],
      rate_limit: { requests: 5, per: '1s' },
    });
    expect(created.status).toBe(201);
    expect(created.body['rate_limit']).toEqual({ requests: 5, per: '1s' });
    await untilRouted(gateway, 'limited.tick', 'slow-receiver', (endpoint) => endpoint.rate_limit?.per === 1_000);

    const events = Array.from({ length: EVENTS }, (_, n) => ({ id: `limited-${n}`, type: 'limited.tick', data: { n } }));
    const batch = await call('POST', '/v1/events/batch', { events });
    expect(batch).toMatchObject({ status: 202, body: { accepted: EVENTS } });

    // While the burst waits, a delivery shows why it is not sent yet, and when it tries again.
    await expect
      .poll(
        async () => {
          const reports = await Promise.all(events.slice(-20).map(({ id }) => call('GET', `/v1/events/${id}`)));
          return reports
            .flatMap((report) => report.body['deliveries'] as { status: string; reason?: string; next_attempt_at?: string }[])
            .some(
              (delivery) =>
                delivery.status === 'pending' && delivery.reason === 'waiting for the rate limit (5 per 1s)' && !!delivery.next_attempt_at,
            );
        },
        { timeout: 30_000 },
      )
      .toBe(true);

    const received = await receiver.waitForRequests(EVENTS, 240_000);
    const arrivals = received.map((request) => request.receivedAt).sort((a, b) => a - b);
    // Any window of one second holds at most 5 arrivals: the 6th after any arrival comes a second or more later.
    const tightest = Math.min(...arrivals.slice(5).map((at, index) => at - (arrivals[index] as number)));
    expect(tightest).toBeGreaterThanOrEqual(1_000);
    expect(new Set(received.map((request) => request.headers['webhook-id'])).size).toBe(EVENTS);

    // Every delivery succeeded on its first attempt: waiting for a slot is no attempt.
    for (const { id } of events.filter((_, n) => n % 10 === 0)) {
      await expect.poll(async () => (await call('GET', `/v1/events/${id}`)).body['status'], { timeout: 30_000 }).toBe('succeeded');
      const [delivery] = (await call('GET', `/v1/events/${id}`)).body['deliveries'] as { attempts: unknown[] }[];
      expect(delivery?.attempts).toEqual([expect.objectContaining({ attempt: 1, verdict: 'delivered' })]);
    }
  }, 300_000);

  test('shows each wait in the Web UI as a timer with its reason', async () => {
    const waited = await Promise.all(
      Array.from({ length: EVENTS }, async (_, n) =>
        timerSummaries(await gateway.client.workflow.getHandle(eventWorkflowId(`limited-${n}`)).fetchHistory()),
      ),
    );
    const summaries = waited.flat();
    expect(summaries.length).toBeGreaterThan(0);
    for (const summary of summaries) expect(summary).toMatch(/^rate limit slow-receiver: next slot in (\d+[a-z]+)+$/);
  });
});

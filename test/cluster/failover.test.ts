import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { callApi, waitUntilRoutedEverywhere } from '../support/cluster.js';

// SIGKILL one API replica and one worker while producers send: every accepted event arrives, and a repeat is only
// ever the same webhook-id again.

const EVENTS = 240;
const PRODUCERS = 6;

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  const created = await callApi('/v1/endpoints', {
    body: { id: 'failover', url: receiver.url, events: ['cluster.failover.*'], retry: { schedule: ['1s', '2s', '4s', '8s'], jitter: 0 } },
  });
  expect(created.status).toBe(201);
  await waitUntilRoutedEverywhere('failover', 'cluster.failover.probe');
});
afterAll(async () => {
  await receiver.close();
});

/** Sends one event until some replica answers it, with the same id each time, as a careful producer does. */
async function sendUntilAnswered(id: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      const response = await callApi('/v1/events', { key: 'producer', body: { id, type: 'cluster.failover.sent' } });
      await response.body?.cancel();
      if (response.status < 500) return response.status;
    } catch {
      // the connection died with the replica: send again
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return 0;
}

describe('losing an API replica and a worker under load', () => {
  test('every accepted event is delivered, and duplicates only repeat a webhook-id', async () => {
    const { pids } = inject('cluster');
    const accepted = new Set<string>();
    let sent = 0;
    const killAt = { api: EVENTS / 4, worker: EVENTS / 2 };
    const killed: string[] = [];
    const producer = async (): Promise<void> => {
      while (sent < EVENTS) {
        const id = `evt_failover_${(sent += 1)}`;
        if (sent === killAt.api && pids['api-1']) killed.push(kill('api-1', pids['api-1']));
        if (sent === killAt.worker && pids['worker-1']) killed.push(kill('worker-1', pids['worker-1']));
        const status = await sendUntilAnswered(id);
        if (status >= 200 && status < 300) accepted.add(id);
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, producer));
    expect(killed).toEqual(['api-1', 'worker-1']);
    expect(accepted.size).toBe(EVENTS);

    const arrivedIds = () => receiver.requests.map((r) => String(r.headers['webhook-id'])).filter((id) => id.startsWith('evt_failover_'));
    await expect.poll(() => new Set(arrivedIds()).size, { timeout: 180_000, interval: 1_000 }).toBe(accepted.size);
    const arrived = arrivedIds();
    const unique = new Set(arrived);
    expect([...unique].every((id) => accepted.has(id))).toBe(true);
    console.log(
      `failover: ${accepted.size} accepted, ${unique.size} delivered (unique webhook-id), ${accepted.size - unique.size} lost, ` +
        `${arrived.length - unique.size} duplicate requests; killed ${killed.join(' and ')}`,
    );
  });
});

function kill(name: string, pid: number): string {
  process.kill(pid, 'SIGKILL');
  return name;
}

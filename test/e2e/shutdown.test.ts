import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { closeGracefully } from '../../server/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver({ defaultResponse: { status: 200, delayMs: 1_500 } });
});

afterAll(async () => {
  await receiver?.close();
});

describe('graceful shutdown', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startGateway();
    await createSlowEndpoint(gateway, 'slow');
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  test('lets a request in flight finish, and refuses new ones meanwhile', async () => {
    // A test send waits for the delivery, which the slow receiver holds for 1.5 s.
    const inFlight = fetch(`${gateway.url}/v1/endpoints/slow/test`, { method: 'POST' });
    await expect.poll(() => receiver.requests.length).toBe(1);

    const closing = closeGracefully(gateway.app, 10_000);
    const late = await fetch(`${gateway.url}/healthz`).then(
      (response) => response.status,
      () => 'refused',
    );
    const response = await inFlight;

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'succeeded' });
    expect(await closing).toEqual({ forced: false });
    expect([503, 'refused']).toContain(late);
  });

  test('cuts off a request still running when the grace period ends', async () => {
    const other = await startGateway();
    try {
      await createSlowEndpoint(other, 'slow-too');
      const seen = receiver.requests.length;
      const inFlight = fetch(`${other.url}/v1/endpoints/slow-too/test`, { method: 'POST' }).then(
        (response) => response.status,
        () => 'cut off',
      );
      await expect.poll(() => receiver.requests.length).toBe(seen + 1);

      const started = Date.now();
      expect(await closeGracefully(other.app, 200)).toEqual({ forced: true });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await inFlight).toBe('cut off');
    } finally {
      await other.stop();
    }
  });
});

// Endpoint entities are named by id in the namespace, so each gateway needs its own.
async function createSlowEndpoint(gateway: TestGateway, id: string): Promise<void> {
  const response = await fetch(`${gateway.url}/v1/endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, url: receiver.url, events: ['never.*'] }),
  });
  expect(response.status).toBe(201);
}

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { COMPRESSED_ENCODING, createCompressionCodec } from '../../temporal/compression-codec.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { createDeliveryStarter } from '../../gateway/delivery-starter.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import type { deliverEvent } from '../../workflows/index.js';
import { aTarget, anEvent } from '../support/builders.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { storedHistory } from '../support/history.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue } from '../support/temporal.js';

// With encryption keys configured, Temporal stores ciphertext: the history read straight from the server holds no
// event data and no endpoint URL, while receivers get the event as always, and keys can rotate.

const KEYS = { KEY_2026A: randomBytes(32).toString('hex'), KEY_2026B: randomBytes(32).toString('base64') };
const MARKER = 'card-4242-4242-secret-marker';

describe('payload encryption', () => {
  let gateway: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    gateway = await startGateway(
      {
        encryption: { keys: [{ id: '2026a', key_env: 'KEY_2026A' }] },
        endpoints: [{ id: 'vault', url: `${receiver.url}/hooks/vault-receiver`, events: ['*'] }],
      },
      KEYS,
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
  });

  test('keeps event data and endpoint settings out of the stored history, and still delivers them', async () => {
    const response = await fetch(`${gateway.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'evt_encrypted', type: 'payment.captured', data: { note: MARKER } }),
    });
    expect(response.status).toBe(202);
    const [delivered] = await receiver.waitForRequests(1);
    expect(delivered?.body).toContain(MARKER);
    const report = await gateway.client.workflow.getHandle<typeof deliverEvent>(eventWorkflowId('evt_encrypted')).result();
    expect(report.status).toBe('succeeded');

    const history = await storedHistory(eventWorkflowId('evt_encrypted'));
    // The search reads decoded text: the event type, kept in a search attribute, is found there.
    expect(history.text).toContain('payment.captured');
    expect(history.text).not.toContain(MARKER);
    expect(history.text).not.toContain('vault-receiver');
    // Every payload, the event, the endpoint snapshots and each attempt's record, is encrypted.
    expect(history.encodings.length).toBeGreaterThanOrEqual(3);
    expect(new Set(history.encodings)).toEqual(new Set(['binary/encrypted']));
    expect(history.text).toContain(`"encryption-key-id": "${Buffer.from('2026a').toString('base64')}"`);
  });

  test('/codec/decode gives the Web UI the plain payloads, from its own origin only', async () => {
    const { history } = await gateway.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: eventWorkflowId('evt_encrypted') },
    });
    const input = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const asJson = input.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    }));
    const ui = 'http://localhost:8233';
    const preflight = await fetch(`${gateway.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');

    const decode = (origin: string) =>
      fetch(`${gateway.url}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin },
        body: JSON.stringify({ payloads: asJson }),
      });
    const response = await decode(ui);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ui);
    const { payloads } = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]?.metadata['encoding'] ?? '', 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(payloads[0]?.data ?? '', 'base64').toString()).toContain(MARKER);

    const elsewhere = await decode('https://evil.example.com');
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('/codec/encode encrypts what /codec/decode reads back', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') };
    const call = async (action: string, payloads: unknown) =>
      (await (
        await fetch(`${gateway.url}/codec/${action}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ payloads }),
        })
      ).json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    const encoded = await call('encode', [plain]);
    expect(Buffer.from(encoded.payloads[0]?.metadata['encoding'] ?? '', 'base64').toString()).toBe('binary/encrypted');
    expect((await call('decode', encoded.payloads)).payloads).toEqual([plain]);
  });

  test('/codec/decode shows a payload as stored when decoding it would take too much memory', async () => {
    // Compressed runs of zeros, as a caller of the codec could make them up: 80 MiB is past what any payload may inflate
    // to; two of 12 MiB each are within it, but not both within what one request decodes.
    const zeros = async (bytes: number) => {
      const [compressed] = await createCompressionCodec(undefined, 128 * 1024 * 1024).encode([
        { metadata: { encoding: Buffer.from('binary/null') }, data: new Uint8Array(bytes) },
      ]);
      return {
        metadata: { encoding: Buffer.from(COMPRESSED_ENCODING).toString('base64') },
        data: Buffer.from(compressed?.data ?? []).toString('base64'),
      };
    };
    // And one whose bulk is in its metadata, where the data's size would not show it.
    const [inMetadata] = await createCompressionCodec().encode([
      { metadata: { bulk: new Uint8Array(20 * 1024 * 1024) }, data: new Uint8Array(70_000) },
    ]);
    const payloads = [
      {
        metadata: { encoding: Buffer.from(COMPRESSED_ENCODING).toString('base64') },
        data: Buffer.from(inMetadata?.data ?? []).toString('base64'),
      },
      await zeros(80 * 1024 * 1024),
      await zeros(12 * 1024 * 1024),
      await zeros(12 * 1024 * 1024),
    ];
    const response = await fetch(`${gateway.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads }),
    });
    expect(response.status).toBe(200);
    const shown = ((await response.json()) as { payloads: { metadata: Record<string, string>; data?: string }[] }).payloads;
    const encodings = shown.map((payload) => Buffer.from(payload.metadata['encoding'] ?? '', 'base64').toString());
    expect(encodings).toEqual([COMPRESSED_ENCODING, COMPRESSED_ENCODING, 'binary/null', COMPRESSED_ENCODING]);
    expect(Buffer.from(shown[2]?.data ?? '', 'base64').length).toBe(12 * 1024 * 1024);
  });

  test('GET /v1/events decrypts for the API as usual', async () => {
    const read = await fetch(`${gateway.url}/v1/events/evt_encrypted`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ event_id: 'evt_encrypted', status: 'succeeded' });
  });
});

describe('key rotation', () => {
  test('an event written under the old key is delivered by a worker that has a new key first', async () => {
    const receiver = await startReceiver();
    const taskQueue = uniqueTaskQueue('rotation');
    const oldKey = { id: '2026a', key: Buffer.from(KEYS.KEY_2026A, 'hex') };
    const oldClient = await connectTestClient(webhookDataConverter([oldKey]));
    try {
      // Accepted while only the old key exists, and no worker runs yet: its whole input is under the old key.
      const event = anEvent({ id: 'evt_before_rotation', data: { note: MARKER } });
      await createDeliveryStarter({ client: oldClient, taskQueue, maxConcurrentDeliveries: 10 }).start(event, [aTarget(receiver.url)]);

      const rotated = ConfigSchema.parse({
        delivery: { allow_destinations: ['loopback'] },
        encryption: {
          keys: [
            { id: '2026b', key_env: 'KEY_2026B' },
            { id: '2026a', key_env: 'KEY_2026A' },
          ],
        },
      });
      const worker = await startTestWorker(taskQueue, { config: rotated, env: KEYS });
      try {
        const [delivered] = await receiver.waitForRequests(1, 20_000);
        expect(delivered?.body).toContain(MARKER);
        // What the new worker wrote is under the new key: a client with only the old key cannot read the result.
        await expect(oldClient.workflow.getHandle(eventWorkflowId(event.id)).result()).rejects.toThrow(/2026b/);
        expect((await storedHistory(eventWorkflowId(event.id))).text).toContain(Buffer.from('2026b').toString('base64'));
      } finally {
        await worker.stop();
      }
    } finally {
      await oldClient.connection.close();
      await receiver.close();
    }
  });
});

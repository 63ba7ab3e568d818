import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sourceDirectoryWorkflowId } from '../../domain/workflow-ids.js';
import { sourcesQuery } from '../../workflows/index.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startApiReplica, startGateway, type TestApi, type TestGateway } from '../support/gateway.js';
import { storedHistory } from '../support/history.js';

// Sources made, changed and deleted at runtime, as Kubiya's are: the URL and secret generated and shown once, a
// status toggle that keeps the URL, and a delete after which the URL is gone for good.

const ENV = {
  WEBHOOKS_SECRET_KEY: 'a source key of at least 32 characters, for tests',
  FILE_SECRET: 'file-source-secret',
  WEBHOOKS_SOURCE_OWN: 'a secret the operator keeps',
};

let gateway: TestGateway;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  gateway = await startGateway(
    {
      sources: [{ id: 'from-file', event_type: 'file.called', auth: { mode: 'secret', secret_env: 'FILE_SECRET' } }],
      delivery: { retry: { schedule: [] } },
      endpoints: [{ id: 'all', url: receiver.url, events: ['*'] }],
    },
    ENV,
  );
});

afterAll(async () => {
  await gateway?.stop();
  await receiver?.close();
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function manage(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Calls a source the way a GitHub-style sender does: sha256=<hex HMAC> of the body. */
async function callSigned(base: string, url: string, secret: string, data: object): Promise<Response> {
  const body = JSON.stringify(data);
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
}

describe('a source made through the API', () => {
  test('gets an id, a URL and a secret shown once; its calls become events; it is toggled, rotated and deleted', async () => {
    const made = await manage(gateway.url, 'POST', '/v1/sources', { name: 'CI', event_type: 'ci.built', auth: { mode: 'hmac-sha256' } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      id: expect.stringMatching(/^src-[0-9a-f]{12}$/),
      name: 'CI',
      enabled: true,
      origin: 'api',
      revision: 1,
      auth: { mode: 'hmac-sha256', header: 'x-hub-signature-256', generated_secret: true },
      secret: expect.stringMatching(/^whsec_/),
    });
    const { id, url, secret } = made.body as { id: string; url: string; secret: string };
    expect(url).toBe(`/v1/sources/${id}`);

    const accepted = await callSigned(gateway.url, url, secret, { build: 1 });
    expect(accepted.status).toBe(202);
    const { id: eventId } = (await accepted.json()) as { id: string };
    await receiver.waitForRequests(1);
    expect(JSON.parse(receiver.requests.find((r) => r.headers['webhook-id'] === eventId)?.body ?? '')).toMatchObject({
      type: 'ci.built',
      data: { build: 1 },
    });

    // Never shown again: reads carry no secret, and say when it was last called.
    const read = await manage(gateway.url, 'GET', `/v1/sources/${id}`);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body['last_triggered_at']).toEqual(expect.any(String));
    expect(JSON.stringify((await manage(gateway.url, 'GET', '/v1/sources')).body)).not.toContain(secret);

    // A test call, as the sender would make it, without the secret: routed, and in the log.
    const tested = await manage(gateway.url, 'POST', `/v1/sources/${id}/test`, { data: { build: 'test' } });
    expect(tested.status).toBe(202);
    const testEvent = String(tested.body['id']);
    await expect.poll(() => receiver.requests.some((r) => r.headers['webhook-id'] === testEvent)).toBe(true);
    const calls = (await manage(gateway.url, 'GET', `/v1/sources/${id}/invocations`)).body['data'] as {
      result: string;
      event_id?: string;
    }[];
    expect(calls[0]).toMatchObject({ result: 'accepted', event_id: testEvent });

    // Disabled: the URL stays and refuses with 403; enabled again, it takes calls.
    expect(await manage(gateway.url, 'PATCH', `/v1/sources/${id}`, { enabled: false })).toMatchObject({
      status: 200,
      body: { enabled: false, revision: 2 },
    });
    expect((await callSigned(gateway.url, url, secret, { build: 2 })).status).toBe(403);
    expect((await manage(gateway.url, 'POST', `/v1/sources/${id}/test`, {})).status).toBe(403);
    await manage(gateway.url, 'PATCH', `/v1/sources/${id}`, { enabled: true });
    expect((await callSigned(gateway.url, url, secret, { build: 3 })).status).toBe(202);

    // A rotation shows the new secret once; the old one stops working at once.
    const rotated = await manage(gateway.url, 'POST', `/v1/sources/${id}/rotate-secret`);
    const fresh = rotated.body['secret'] as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    expect((await callSigned(gateway.url, url, secret, { build: 4 })).status).toBe(401);
    expect((await callSigned(gateway.url, url, fresh, { build: 5 })).status).toBe(202);

    // The book in Temporal holds which secret, never a secret.
    const book = (await storedHistory(sourceDirectoryWorkflowId(gateway.config.temporal.task_queue))).text;
    expect(book).toContain(id);
    for (const value of [secret, fresh, ENV.WEBHOOKS_SECRET_KEY]) expect(book).not.toContain(value);

    // Deleted: gone for good, and its id is not given out again.
    expect((await manage(gateway.url, 'DELETE', `/v1/sources/${id}`)).status).toBe(200);
    const gone = await callSigned(gateway.url, url, fresh, { build: 6 });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ detail: expect.stringContaining('deleted') });
    expect((await manage(gateway.url, 'GET', `/v1/sources/${id}`)).status).toBe(404);
    const again = await manage(gateway.url, 'POST', '/v1/sources', { id, event_type: 'ci.built', auth: { mode: 'secret' } });
    expect(again).toMatchObject({ status: 409, body: { detail: expect.stringContaining('not given out again') } });
  });

  test('may name its own id and its secret’s variable instead of a generated one', async () => {
    const made = await manage(gateway.url, 'POST', '/v1/sources', {
      id: 'own-secret',
      event_type: 'own.called',
      auth: { mode: 'secret', secret_env: 'WEBHOOKS_SOURCE_OWN' },
    });
    expect(made).toMatchObject({
      status: 201,
      body: { id: 'own-secret', auth: { secret_env: 'WEBHOOKS_SOURCE_OWN', generated_secret: false } },
    });
    expect(made.body).not.toHaveProperty('secret');
    const call = await fetch(`${gateway.url}/v1/sources/own-secret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': ENV.WEBHOOKS_SOURCE_OWN },
      body: '{}',
    });
    expect(call.status).toBe(202);
    // Only variables meant for sources: not one of the process's other secrets.
    const oracle = await manage(gateway.url, 'POST', '/v1/sources', {
      event_type: 'own.called',
      auth: { mode: 'secret', secret_env: 'TEMPORAL_API_KEY' },
    });
    expect(oracle.status).toBe(400);
    expect(JSON.stringify(oracle.body)).toContain('may only name a variable starting with WEBHOOKS_SOURCE_');
    const rotate = await manage(gateway.url, 'POST', '/v1/sources/own-secret/rotate-secret');
    expect(rotate).toMatchObject({ status: 409, body: { detail: expect.stringContaining('WEBHOOKS_SOURCE_OWN') } });
  });

  test('bad definitions are refused with the part that is wrong, and the config file’s sources are changed there', async () => {
    const bad = await manage(gateway.url, 'POST', '/v1/sources', {
      id: 'has space',
      event_type: 'not a type',
      auth: { mode: 'carrier-pigeon' },
    });
    expect(bad.status).toBe(400);
    expect((bad.body['errors'] as { path: string }[]).map((error) => error.path).sort()).toEqual(['/auth/mode', '/event_type', '/id']);
    expect((await manage(gateway.url, 'PATCH', '/v1/sources/nobody', { enabled: false })).status).toBe(404);
    expect((await manage(gateway.url, 'PATCH', '/v1/sources/from-file', { enabled: false })).status).toBe(409);
    expect((await manage(gateway.url, 'DELETE', '/v1/sources/from-file')).status).toBe(409);
    expect((await manage(gateway.url, 'PATCH', '/v1/sources/own-secret', { rate_limit: { limit: 0, window: '1s' } })).status).toBe(400);
    const listed = (await manage(gateway.url, 'GET', '/v1/sources')).body['data'] as { id: string; origin: string }[];
    expect(listed.find((source) => source.id === 'from-file')?.origin).toBe('config');
  });
});

describe('sources across API processes', () => {
  let replica: TestApi | undefined;
  afterAll(async () => {
    await replica?.stop();
  });

  test('another API process serves a source made on this one, and hears of its deletion', async () => {
    replica = await startApiReplica(gateway, ENV);
    const made = await manage(gateway.url, 'POST', '/v1/sources', { event_type: 'shared.called', auth: { mode: 'hmac-sha256' } });
    const { url, secret, id } = made.body as { url: string; secret: string; id: string };
    await expect.poll(async () => (await callSigned(replica?.url ?? '', url, secret, { n: 1 })).status).toBe(202);
    await manage(gateway.url, 'DELETE', `/v1/sources/${id}`);
    await expect.poll(async () => (await callSigned(replica?.url ?? '', url, secret, { n: 2 })).status).toBe(404);
  });

  test('a config source the file no longer has is kept, disabled, and may then be deleted', async () => {
    const next = await startApiReplica(gateway, ENV, { ...gateway.config, sources: [] });
    try {
      await expect
        .poll(async () => (await manage(next.url, 'GET', '/v1/sources/from-file')).body)
        .toMatchObject({ enabled: false, status_reason: 'removed from the config file', origin: 'config' });
      const call = await fetch(`${next.url}/v1/sources/from-file`, {
        method: 'POST',
        headers: { 'x-webhook-secret': ENV.FILE_SECRET },
        body: '{}',
      });
      expect(call.status).toBe(403);
      expect((await manage(next.url, 'DELETE', '/v1/sources/from-file')).status).toBe(200);
      expect((await manage(next.url, 'GET', '/v1/sources/from-file')).status).toBe(404);
    } finally {
      await next.stop();
    }
  });
});

describe('a book ended from outside', () => {
  test('is started again from the last one an API process saw: its sources, secrets and deleted ids survive', async () => {
    const made = await manage(gateway.url, 'POST', '/v1/sources', { id: 'survivor', event_type: 'kept.called', auth: { mode: 'secret' } });
    const secret = String(made.body['secret']);
    await manage(gateway.url, 'POST', '/v1/sources', { id: 'gone-for-good', event_type: 'kept.called', auth: { mode: 'secret' } });
    expect((await manage(gateway.url, 'DELETE', '/v1/sources/gone-for-good')).status).toBe(200);

    const handle = gateway.client.workflow.getHandle(sourceDirectoryWorkflowId(gateway.config.temporal.task_queue));
    const { runId } = await handle.describe();
    await handle.terminate('test: the book ended from outside');
    await expect
      .poll(async () => {
        const now = await handle.describe();
        return now.runId !== runId && now.status.name === 'RUNNING';
      })
      .toBe(true);
    const book = await handle.query(sourcesQuery);
    expect(book.sources.map((source) => source.definition.id)).toContain('survivor');
    expect(book.deleted).toContain('gone-for-good');
    const call = await fetch(`${gateway.url}/v1/sources/survivor`, { method: 'POST', headers: { 'x-webhook-secret': secret }, body: '{}' });
    expect(call.status).toBe(202);
  });
});

describe('an API without a source key', () => {
  test('asks for one before generating a secret, and still takes sources that name their own', async () => {
    const keyless = await startApiReplica(gateway, { WEBHOOKS_SOURCE_OWN: ENV.WEBHOOKS_SOURCE_OWN, FILE_SECRET: ENV.FILE_SECRET });
    try {
      const refused = await manage(keyless.url, 'POST', '/v1/sources', { event_type: 'x.called', auth: { mode: 'secret' } });
      expect(refused).toMatchObject({ status: 409, body: { type: expect.stringMatching(/secret-key-missing$/) } });
      expect(String(refused.body['detail'])).toContain('WEBHOOKS_SECRET_KEY');
      const named = await manage(keyless.url, 'POST', '/v1/sources', {
        event_type: 'x.called',
        auth: { mode: 'secret', secret_env: 'WEBHOOKS_SOURCE_OWN' },
      });
      expect(named.status).toBe(201);
    } finally {
      await keyless.stop();
    }
  });
});

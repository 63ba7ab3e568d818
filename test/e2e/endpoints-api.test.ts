import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EndpointSchema, type Endpoint } from '../../domain/endpoint.js';
import { DEFAULT_ENDPOINT_SETTINGS } from '../../domain/endpoint-state.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { endpointEntityStart } from '../../gateway/endpoint-entities.js';
import { reconcileEndpoints } from '../../gateway/reconcile.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { webhookEndpoint, type deliverEvent } from '../../workflows/index.js';
import { apiCaller, postJson, startGateway, type TestGateway } from '../support/gateway.js';
import { storedHistory } from '../support/history.js';

// The key generated signing secrets are derived from, on the API and the worker alike.
const ENV = { WEBHOOKS_SECRET_KEY: 'the endpoints-api test key, 32+ chars' };

let gateway: TestGateway;
let first: Receiver;
let second: Receiver;

const call = apiCaller(() => gateway);

function routed(endpointId: string): string | undefined {
  return gateway.registry.status(endpointId)?.status;
}

async function deliver(type: string, id: string) {
  const response = await postJson(gateway, '/v1/events', { id, type });
  const { workflow_id } = (await response.json()) as { workflow_id: string };
  return gateway.client.workflow.getHandle<typeof deliverEvent>(workflow_id);
}

beforeAll(async () => {
  [first, second] = await Promise.all([startReceiver(), startReceiver()]);
  gateway = await startGateway({ endpoints: [{ id: 'from-file', url: first.url, events: ['file.*'] }] }, ENV);
  await reconcileEndpoints(gateway.client, gateway.config.temporal.task_queue, gateway.config.endpoints);
});

afterAll(async () => {
  await gateway.stop();
  await Promise.all([first.close(), second.close()]);
});

describe('/v1/endpoints', () => {
  test('creates an endpoint, shows it, and refuses a second with the same id or an invalid one', async () => {
    const created = await call('POST', '/v1/endpoints', {
      id: 'api-one',
      url: first.url,
      events: ['api.*'],
      retry: { schedule: ['1m', '5m'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'api-one', status: 'active', source: 'api', revision: 1, held_deliveries: 0 });
    expect(created.body['retry']).toMatchObject({ schedule: ['1m', '5m'] });

    expect((await call('GET', '/v1/endpoints/api-one')).body).toMatchObject({ id: 'api-one', url: first.url });
    await expect
      .poll(async () => ((await call('GET', '/v1/endpoints')).body['data'] as { id: string }[]).map((e) => e.id))
      .toEqual(['api-one', 'from-file']);
    expect((await call('POST', '/v1/endpoints', { id: 'api-one', url: first.url })).status).toBe(409);
    const invalid = await call('POST', '/v1/endpoints', { id: 'Bad Id', url: 'ftp://x', events: [] });
    expect(invalid.status).toBe(400);
    expect((invalid.body['errors'] as { path: string }[]).map((e) => e.path).sort()).toEqual(['/events', '/id', '/url']);
    expect((await call('GET', '/v1/endpoints/nobody')).status).toBe(404);
  });

  test('changes a definition by PATCH, and routing follows the new URL', async () => {
    await call('POST', '/v1/endpoints', { id: 'api-moving', url: first.url, events: ['moving.*'] });
    const changed = await call('PATCH', '/v1/endpoints/api-moving', { url: second.url });
    expect(changed).toMatchObject({ status: 200, body: { url: second.url, revision: 2 } });
    await expect
      .poll(
        () =>
          gateway.registry
            .routes()
            .route('moving.on')
            .find((e) => e.id === 'api-moving')?.url,
      )
      .toBe(second.url);

    await (await deliver('moving.on', 'evt_api_moved')).result();
    expect(second.requests.map((r) => r.headers['webhook-id'])).toContain('evt_api_moved');

    const durations = await call('PATCH', '/v1/endpoints/api-moving', { timeout: '5s', retry: { schedule: ['1m', '90s'] } });
    expect(durations).toMatchObject({ status: 200, body: { timeout: '5s', retry: { schedule: ['1m', '1m30s'] }, revision: 3 } });
    const keyed = await call('PATCH', '/v1/endpoints/api-moving', { format: 'event', data_key: 'incident' });
    expect(keyed).toMatchObject({ status: 200, body: { format: 'event', data_key: 'incident', revision: 4 } });
    await expect
      .poll(
        () =>
          gateway.registry
            .routes()
            .route('moving.on')
            .find((e) => e.id === 'api-moving')?.data_key,
      )
      .toBe('incident');
    await (await deliver('moving.on', 'evt_api_keyed')).result();
    const keyedBody = second.requests.find((r) => r.headers['webhook-id'] === 'evt_api_keyed')?.body ?? '';
    expect(JSON.parse(keyedBody)).toMatchObject({ event: 'moving.on', incident: expect.anything() });
    const unkeyable = await call('PATCH', '/v1/endpoints/api-moving', { format: 'slack' });
    expect(unkeyable.status).toBe(400);
    expect((unkeyable.body['errors'] as { path: string }[]).map((e) => e.path)).toEqual(['/data_key']);
    expect((await call('PATCH', '/v1/endpoints/api-moving', { id: 'other' })).status).toBe(400);
    expect((await call('PATCH', '/v1/endpoints/from-file', { url: second.url })).status).toBe(409);
  });

  test('mends an endpoint stored with a space in its url, which its entity refused to take again, on its next PATCH', async () => {
    // As a gateway could store it before its schema percent-encoded spaces: every PATCH of it then answered 500.
    const stored: Endpoint = {
      ...EndpointSchema.parse({ id: 'api-spaced', url: first.url, events: ['spaced.*'] }),
      url: `${first.url}?q=a b`,
    };
    const queue = gateway.config.temporal.task_queue;
    await gateway.client.workflow.start(webhookEndpoint, endpointEntityStart(stored, 'api', queue, DEFAULT_ENDPOINT_SETTINGS));

    const renamed = await call('PATCH', '/v1/endpoints/api-spaced', { name: 'spaced' });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'spaced', url: `${first.url}?q=a%20b`, revision: 2 } });
  });

  test('signs with a secret the gateway generates, shown once, and rotates it', async () => {
    const made = await call('POST', '/v1/endpoints', { id: 'api-signed', url: first.url, events: ['signed.*'], signing: {} });
    expect(made.status).toBe(201);
    const secret = String(made.body['signing_secret']);
    expect(secret).toMatch(/^whsec_/);
    expect(made.body['signing']).toEqual({ scheme: 'standard-webhooks', secret_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const firstId = (made.body['signing'] as { secret_id: string }).secret_id;
    expect((await call('GET', '/v1/endpoints/api-signed')).body).not.toHaveProperty('signing_secret');
    await expect.poll(() => routed('api-signed')).toBe('active');

    const verifies = (key: string, eventId: string): boolean => {
      const request = first.requests.find((r) => r.headers['webhook-id'] === eventId);
      try {
        return new Webhook(key).verify(request?.body ?? '', request?.headers as Record<string, string>) !== undefined;
      } catch {
        return false;
      }
    };
    await (await deliver('signed.one', 'evt_signed_1')).result();
    expect(verifies(secret, 'evt_signed_1')).toBe(true);

    const rotated = await call('POST', '/v1/endpoints/api-signed/rotate-signing-secret');
    expect(rotated).toMatchObject({ status: 200, body: { revision: 2 } });
    const secondId = (rotated.body['signing'] as { secret_id: string }).secret_id;
    expect(secondId).not.toBe(firstId);
    const fresh = String(rotated.body['signing_secret']);
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    const routedSecretId = () =>
      gateway.registry
        .routes()
        .route('signed.two')
        .find((e) => e.id === 'api-signed')?.signing?.secret_id;
    await expect.poll(routedSecretId).toBe(secondId);
    await (await deliver('signed.two', 'evt_signed_2')).result();
    expect(verifies(fresh, 'evt_signed_2')).toBe(true);
    expect(verifies(secret, 'evt_signed_2')).toBe(false);
    // History holds the secret's id, never the secret or the key.
    const history = (await storedHistory(eventWorkflowId('evt_signed_2'))).text;
    for (const value of [secret, fresh, ENV.WEBHOOKS_SECRET_KEY]) expect(history).not.toContain(value);

    // A change of anything else keeps the secret and shows nothing; a client cannot pick a secret's id; a field with a
    // default cannot be nulled into it.
    const renamed = await call('PATCH', '/v1/endpoints/api-signed', { name: 'Signed', signing: { scheme: 'standard-webhooks' } });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'Signed', signing: { secret_id: secondId } } });
    expect(renamed.body).not.toHaveProperty('signing_secret');
    expect((await call('PATCH', '/v1/endpoints/api-signed', { signing: { secret_id: firstId } })).status).toBe(400);
    // Named, then generated again: a new secret, never the one it had.
    expect((await call('PATCH', '/v1/endpoints/api-signed', { signing: { secret_env: 'WEBHOOKS_ENDPOINT_SIGNED' } })).status).toBe(200);
    const again = await call('PATCH', '/v1/endpoints/api-signed', { signing: {} });
    expect(again.status).toBe(200);
    expect(String(again.body['signing_secret'])).toMatch(/^whsec_/);
    expect([secret, fresh]).not.toContain(again.body['signing_secret']);
    expect((await call('PATCH', '/v1/endpoints/api-signed', { events: null })).status).toBe(400);
    expect((await call('POST', '/v1/endpoints/from-file/rotate-signing-secret')).status).toBe(409);
  });

  test('refuses an endpoint that names a variable not meant for endpoints, which a worker would send away', async () => {
    const stealing = await call('POST', '/v1/endpoints', {
      id: 'api-thief',
      url: 'https://attacker.example/collect',
      headers: { 'X-Loot': { env: 'WEBHOOKS_SECRET_KEY' } },
      auth: { type: 'bearer', token_env: 'TEMPORAL_API_KEY' },
    });
    expect(stealing.status).toBe(400);
    expect((stealing.body['errors'] as { path: string }[]).map((error) => error.path)).toEqual(['/headers/X-Loot/env', '/auth/token_env']);
    const patched = await call('PATCH', '/v1/endpoints/api-signed', { signing: { secret_env: 'BILLING_TOKEN' } });
    expect(patched.status).toBe(400);
    const allowed = await call('POST', '/v1/endpoints', {
      id: 'api-allowed',
      url: first.url,
      events: ['allowed.*'],
      auth: { type: 'bearer', token_env: 'WEBHOOKS_ENDPOINT_CRM_TOKEN' },
    });
    expect(allowed.status).toBe(201);
    expect((await call('DELETE', '/v1/endpoints/api-allowed')).status).toBe(200);
  });

  test('pauses and resumes over HTTP, holding events in between', async () => {
    await call('POST', '/v1/endpoints', { id: 'api-paused', url: first.url, events: ['paused.*'] });
    const paused = await call('POST', '/v1/endpoints/api-paused/pause', { reason: 'deploying the receiver' });
    expect(paused.body).toMatchObject({ status: 'paused', status_reason: 'deploying the receiver' });
    await expect.poll(() => routed('api-paused')).toBe('paused');

    const handles = await Promise.all(Array.from({ length: 20 }, (_, index) => deliver('paused.event', `evt_api_paused_${index}`)));
    await expect.poll(async () => (await call('GET', '/v1/endpoints/api-paused')).body['held_deliveries']).toBe(20);
    expect(first.requests.filter((r) => String(r.headers['webhook-id']).startsWith('evt_api_paused_'))).toHaveLength(0);

    expect((await call('POST', '/v1/endpoints/api-paused/resume')).body).toMatchObject({ status: 'active' });
    await Promise.all(handles.map((handle) => handle.result()));
    expect(new Set(first.requests.map((r) => String(r.headers['webhook-id'])).filter((id) => id.startsWith('evt_api_paused_'))).size).toBe(
      20,
    );
  });

  test('deletes an API endpoint: it is gone from routing, and its history stays in Temporal', async () => {
    await call('POST', '/v1/endpoints', { id: 'api-doomed', url: first.url, events: ['doomed.*'] });
    const deleted = await call('DELETE', '/v1/endpoints/api-doomed');
    expect(deleted.body).toMatchObject({ status: 'disabled', status_reason: 'deleted' });
    expect((await call('GET', '/v1/endpoints/api-doomed')).status).toBe(404);
    await expect
      .poll(() =>
        gateway.registry
          .routes()
          .route('doomed.x')
          .map((e) => e.id),
      )
      .toEqual([]);
    expect((await call('DELETE', '/v1/endpoints/from-file')).status).toBe(409);
  });

  test('cancels a retry due to an endpoint deleted meanwhile, instead of sending it', async () => {
    const failing = await startReceiver({ defaultResponse: { status: 500, body: 'down' } });
    try {
      await call('POST', '/v1/endpoints', { id: 'api-retired', url: failing.url, events: ['retired.*'], retry: { schedule: ['8s'] } });
      await expect.poll(() => routed('api-retired')).toBe('active');
      const delivery = await deliver('retired.x', 'evt_to_retired');
      await failing.waitForRequests(1, 30_000);
      expect((await call('DELETE', '/v1/endpoints/api-retired')).status).toBe(200);

      const report = await delivery.result();
      expect(report.deliveries).toEqual([expect.objectContaining({ endpointId: 'api-retired', status: 'cancelled' })]);
      expect(failing.requests).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });

  test('never sends a retry of an event accepted before a deletion to an endpoint made again under the same id', async () => {
    const [failing, remade] = await Promise.all([startReceiver({ defaultResponse: { status: 500, body: 'down' } }), startReceiver()]);
    try {
      // The retry is due 30 s after the first attempt: time to delete the endpoint and make it again before then.
      await call('POST', '/v1/endpoints', {
        id: 'api-remade',
        url: failing.url,
        events: ['remade.*'],
        retry: { schedule: ['30s'], jitter: 0 },
      });
      await expect.poll(() => routed('api-remade')).toBe('active');
      const delivery = await deliver('remade.x', 'evt_before_remade');
      await failing.waitForRequests(1, 30_000);
      expect((await call('DELETE', '/v1/endpoints/api-remade')).status).toBe(200);
      await expect
        .poll(async () => (await call('POST', '/v1/endpoints', { id: 'api-remade', url: remade.url, events: ['remade.*'] })).status, {
          timeout: 15_000,
          interval: 500,
        })
        .toBe(201);
      // Before the retry is due, the worker knows both: the deletion, and the new endpoint under the id.
      await expect
        .poll(() => [gateway.registry.deletion('api-remade') !== undefined, routed('api-remade')], { timeout: 10_000 })
        .toEqual([true, 'active']);
      expect((await delivery.describe()).status.name).toBe('RUNNING');

      const report = await delivery.result();
      expect(report.deliveries).toEqual([
        expect.objectContaining({ endpointId: 'api-remade', status: 'cancelled', reason: 'endpoint disabled (deleted)' }),
      ]);
      expect(failing.requests).toHaveLength(1);
      // The new endpoint takes the events accepted since, and only those.
      await (await deliver('remade.x', 'evt_after_remade')).result();
      expect(remade.requests.map((request) => request.headers['webhook-id'])).toEqual(['evt_after_remade']);
    } finally {
      await Promise.all([failing.close(), remade.close()]);
    }
  });
});

describe('delivery history and test sends', () => {
  test('lists an endpoint’s deliveries newest first, page by page, and filters them by status', async () => {
    await call('POST', '/v1/endpoints', { id: 'api-history', url: second.url, events: ['history.*'], retry: { schedule: [] } });
    await expect.poll(() => routed('api-history')).toBe('active');
    second.script({ status: 400 });
    for (let index = 0; index < 5; index++) await (await deliver('history.entry', `evt_history_${index}`)).result();

    const seen: string[] = [];
    await expect
      .poll(async () => {
        seen.length = 0;
        let token: string | undefined;
        do {
          const page = await call('GET', `/v1/endpoints/api-history/deliveries?page_size=2${token ? `&page_token=${token}` : ''}`);
          const data = page.body['data'] as { event_id: string }[];
          expect(data.length).toBeLessThanOrEqual(2);
          seen.push(...data.map((entry) => entry.event_id));
          token = page.body['next_page_token'] as string | undefined;
        } while (token);
        return seen.length;
      })
      .toBe(5);
    expect(new Set(seen).size).toBe(5);
    const failed = await call('GET', '/v1/endpoints/api-history/deliveries?status=failed');
    expect(failed.body['data']).toEqual([
      expect.objectContaining({ event_id: 'evt_history_0', event_type: 'history.entry', status: 'failed' }),
    ]);
    expect((await call('GET', '/v1/endpoints/api-history/deliveries?page_size=500')).status).toBe(400);

    // A token is good only for the listing that gave it; anything else is refused at once, not retried by Temporal.
    const firstPage = await call('GET', '/v1/endpoints/api-history/deliveries?page_size=2');
    const token = firstPage.body['next_page_token'] as string;
    const elsewhere = await call('GET', `/v1/endpoints/api-history/deliveries?page_size=2&status=failed&page_token=${token}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body['errors']).toEqual([{ path: '/page_token', message: 'not a page token of this listing (with these filters)' }]);
    expect((await call('GET', '/v1/endpoints/api-history/deliveries?page_token=AAAA')).status).toBe(400);
    // Signed with a key derived from WEBHOOKS_SECRET_KEY: a token made up around the query's name and a copied
    // signature is refused here (unsigned, SQL visibility would have read it as a place to start).
    const sealed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, string>;
    const forged = Buffer.from(JSON.stringify({ ...sealed, t: Buffer.from('{"made":"up"}').toString('base64') })).toString('base64url');
    const refused = await call('GET', `/v1/endpoints/api-history/deliveries?page_size=2&page_token=${forged}`);
    expect(refused.status).toBe(400);
    expect(refused.body['errors']).toEqual([{ path: '/page_token', message: 'not a page token of this listing (with these filters)' }]);
  });

  test('sends a test event through the normal pipeline and answers with its attempt, even while paused', async () => {
    await call('POST', '/v1/endpoints', { id: 'api-tested', url: first.url, events: ['never.*'] });
    await call('POST', '/v1/endpoints/api-tested/pause', { reason: 'not live yet' });
    await expect.poll(() => routed('api-tested')).toBe('paused');

    const result = await call('POST', '/v1/endpoints/api-tested/test');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'succeeded', attempt: { status_code: 200, verdict: 'delivered' } });
    const received = first.requests.find((r) => r.headers['webhook-id'] === result.body['event_id']);
    expect(JSON.parse(received?.body ?? '{}')).toMatchObject({ type: 'webhook.test', data: { endpoint_id: 'api-tested' } });
    expect((await call('POST', '/v1/endpoints/nobody/test')).status).toBe(404);
  });
});

describe('GET /v1/events/{id}', () => {
  test('shows each delivery and its attempts, in snake_case', async () => {
    first.script({ status: 502 });
    await call('POST', '/v1/endpoints', { id: 'api-report', url: first.url, events: ['report.*'], retry: { schedule: ['1s'], jitter: 0 } });
    await expect.poll(() => routed('api-report')).toBe('active');
    await (await deliver('report.ready', 'evt_api_report')).result();

    const report = await call('GET', '/v1/events/evt_api_report');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ event_id: 'evt_api_report', event_type: 'report.ready', status: 'succeeded' });
    const [delivery] = report.body['deliveries'] as { endpoint_id: string; attempts: { status_code: number; verdict: string }[] }[];
    expect(delivery?.endpoint_id).toBe('api-report');
    expect(delivery?.attempts.map((a) => [a.status_code, a.verdict])).toEqual([
      [502, 'retryable'],
      [200, 'delivered'],
    ]);
    expect((await call('GET', '/v1/events/evt_never_sent')).status).toBe(404);
  });
});

describe('replay', () => {
  test('redelivers an event as a new, visible delivery with the original webhook-id', async () => {
    await call('POST', '/v1/endpoints', { id: 'api-replayed', url: first.url, events: ['replay.*'], retry: { schedule: [] } });
    await expect.poll(() => routed('api-replayed')).toBe('active');
    first.script({ status: 500 });
    const original = await (await deliver('replay.me', 'evt_replayed')).result();
    expect(original.status).toBe('failed');

    const replay = await call('POST', '/v1/events/evt_replayed/redeliver', { endpoint_id: 'api-replayed' });
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({
      event_id: 'evt_replayed',
      endpoints: 1,
      workflow_id: expect.stringMatching(/^event\/evt_replayed\/redelivery-/),
    });
    const report = await gateway.client.workflow.getHandle<typeof deliverEvent>(String(replay.body['workflow_id'])).result();
    expect(report.status).toBe('succeeded');
    const requests = first.requests.filter((r) => r.headers['webhook-id'] === 'evt_replayed');
    expect(requests).toHaveLength(2);
    expect(requests[1]?.body).toBe(requests[0]?.body);
    expect((await call('GET', '/v1/events/evt_replayed')).body).toMatchObject({ status: 'failed' });
    expect((await call('POST', '/v1/events/evt_unknown/redeliver')).status).toBe(404);
    expect((await call('POST', '/v1/events/evt_replayed/redeliver', { endpoint_id: 'nobody' })).status).toBe(404);
  });

  test('recovers every delivery that failed for an endpoint since a time, and nothing that succeeded', async () => {
    const since = new Date().toISOString();
    await call('POST', '/v1/endpoints', { id: 'api-recovered', url: second.url, events: ['recover.*'], retry: { schedule: [] } });
    await expect.poll(() => routed('api-recovered')).toBe('active');
    second.script({ status: 503 }, { status: 200 }, { status: 503 });
    for (const id of ['evt_recover_a', 'evt_recover_b', 'evt_recover_c']) await (await deliver('recover.me', id)).result();

    // Recover reads visibility, which trails a moment behind: wait until both failures show, then recover once.
    await expect
      .poll(async () => ((await call('GET', '/v1/endpoints/api-recovered/deliveries?status=failed')).body['data'] as unknown[]).length)
      .toBe(2);
    const response = await call('POST', `/v1/endpoints/api-recovered/recover?since=${encodeURIComponent(since)}`);
    expect(response.status).toBe(202);
    const recovered = response.body['recovered'] as { event_id: string }[];
    expect(recovered.map((r) => r.event_id).sort()).toEqual(['evt_recover_a', 'evt_recover_c']);
    expect(response.body['unread']).toEqual([]);
    await expect.poll(() => second.requests.filter((r) => String(r.headers['webhook-id']).startsWith('evt_recover_')).length).toBe(5);
  });
});

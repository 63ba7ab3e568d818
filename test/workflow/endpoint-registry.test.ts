import type { Client } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { EndpointSchema } from '../../domain/endpoint.js';
import { RETIRED_REASON } from '../../domain/endpoint-transitions.js';
import { endpointChangesWorkflowId, endpointWorkflowId } from '../../domain/workflow-ids.js';
import { createEndpointAdmin } from '../../gateway/endpoint-admin.js';
import { createTemporalRegistry, type EndpointRegistry } from '../../gateway/endpoint-registry.js';
import { pauseSignal, resumeSignal } from '../../workflows/index.js';
import { connectTestClient, startTestWorker, uniqueTaskQueue, type TestWorker } from '../support/temporal.js';

// Routing follows the endpoints' change log instead of listing them on a timer: it reads every entity once, then
// hears each change as the log gets it, and reads everything again only when it has to start following anew.

let client: Client;
let worker: TestWorker;
let taskQueue: string;
let listings = 0;
const registries: EndpointRegistry[] = [];

function aRegistry(): EndpointRegistry {
  const registry = createTemporalRegistry({ client, taskQueue, configEndpoints: [] });
  registries.push(registry);
  return registry;
}

const admin = () => createEndpointAdmin(client, taskQueue);
const anEndpoint = (id: string) => EndpointSchema.parse({ id, url: 'https://hooks.example.com/x', events: [`${id}.*`] });

beforeAll(async () => {
  client = await connectTestClient();
  // Counts the visibility listings this client makes: routing must not list on a timer.
  const service = client.workflowService;
  const list = service.listWorkflowExecutions.bind(service);
  service.listWorkflowExecutions = ((...args: Parameters<typeof list>) => {
    listings++;
    return list(...args);
  }) as typeof service.listWorkflowExecutions;
  taskQueue = uniqueTaskQueue('registry');
  worker = await startTestWorker(taskQueue);
});

// Each test's registry stops following at its end: a later test counts the listings of its own registry only.
afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

afterAll(async () => {
  await worker.stop();
  await client.connection.close();
});

describe('the endpoint registry', () => {
  test('reads the entities once, then hears a pause and a resume with no listing at all', async () => {
    await admin().create(anEndpoint('reg-quiet'));
    const registry = aRegistry();
    await registry.ready;
    await expect.poll(() => registry.status('reg-quiet')?.status).toBe('active');
    const listed = listings;

    const entity = client.workflow.getHandle(endpointWorkflowId('reg-quiet'));
    await entity.signal(pauseSignal, 'deploying');
    await expect.poll(() => registry.status('reg-quiet')).toMatchObject({ status: 'paused', statusReason: 'deploying' });
    expect(registry.routes().route('reg-quiet.x')).toEqual([expect.objectContaining({ id: 'reg-quiet', status: 'paused' })]);
    await entity.signal(resumeSignal);
    await expect.poll(() => registry.status('reg-quiet')?.status).toBe('active');
    expect(listings).toBe(listed);
  });

  test('routes an endpoint created after it started, and forgets one deleted at once after its creation', async () => {
    const registry = aRegistry();
    await registry.ready;
    await admin().create(anEndpoint('reg-new'));
    await expect
      .poll(() =>
        registry
          .routes()
          .route('reg-new.x')
          .map((endpoint) => endpoint.id),
      )
      .toEqual(['reg-new']);

    await admin().create(anEndpoint('reg-brief'));
    await admin().remove('reg-brief');
    await admin().create(anEndpoint('reg-after'));
    // The change after the deletion has arrived: the deletion, announced before it, has too.
    await expect.poll(() => registry.status('reg-after')?.status).toBe('active');
    expect(registry.routes().route('reg-brief.x')).toEqual([]);
    // A retry of an earlier delivery to it asks its status: the deletion, so that it is cancelled rather than sent.
    expect(registry.status('reg-brief')).toMatchObject({ status: 'disabled', statusReason: RETIRED_REASON });

    await admin().create(anEndpoint('reg-brief'));
    await expect.poll(() => registry.status('reg-brief')?.status).toBe('active');
    // Made again, it is another endpoint: the deletion still speaks for the deliveries accepted before it.
    expect(registry.deletion('reg-brief')).toMatchObject({
      status: 'disabled',
      statusReason: RETIRED_REASON,
      deletedAt: expect.any(String),
    });
  });

  test('a registry started after a deletion knows it from the ended entity, so a restarted worker still cancels', async () => {
    await admin().create(anEndpoint('reg-gone'));
    await admin().remove('reg-gone');
    await admin().create(anEndpoint('reg-twice'));
    await admin().remove('reg-twice');
    await admin().create(anEndpoint('reg-twice'));
    // Visibility trails the entities' ends by a moment: a registry started too early lists them again. Routing is
    // ready before the deletions are read; `statusesRead` says when they have been.
    await expect
      .poll(async () => {
        const registry = aRegistry();
        await registry.statusesRead;
        return [registry.status('reg-gone'), registry.status('reg-twice')?.status, registry.deletion('reg-twice')?.deletedAt];
      })
      .toEqual([
        expect.objectContaining({ status: 'disabled', statusReason: RETIRED_REASON, deletedAt: expect.any(String) }),
        'active',
        expect.any(String),
      ]);
  });

  test('starts the change log again when it was ended, reads every entity again, and goes on hearing changes', async () => {
    const registry = aRegistry();
    await registry.ready;
    await admin().create(anEndpoint('reg-later'));
    await expect.poll(() => registry.status('reg-later')?.status).toBe('active');
    const listed = listings;

    await client.workflow.getHandle(endpointChangesWorkflowId(taskQueue)).terminate('testing that routing recovers');
    await expect.poll(() => listings).toBeGreaterThan(listed);
    await client.workflow.getHandle(endpointWorkflowId('reg-later')).signal(pauseSignal);
    await expect.poll(() => registry.status('reg-later')?.status).toBe('paused');
  });
});

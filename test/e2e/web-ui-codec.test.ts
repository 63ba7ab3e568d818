import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { dataConverterFrom } from '../../temporal/data-converter.js';
import { startDevServer, type DevServer } from '../../host/dev-server.js';
import { findFreePort } from '../support/ports.js';
import { buildAppFromConfig } from '../../server/index.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.js';
import { viewInChromium } from '../support/chromium.js';

// An operator's view: the Temporal Web UI, pointed at the API's codec endpoint as `npm start` points it, shows an
// encrypted event's data as plain JSON. A dev server of its own, since the UI's codec endpoint is set at its start.

const MARKER = 'ui-visible-marker-7f3a';
const ENV = { UI_KEY: 'ab'.repeat(32) };

let server: DevServer;
let client: Client;
let api: FastifyInstance;
let uiUrl: string;

beforeAll(async () => {
  const [port, uiPort, apiPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  uiUrl = `http://127.0.0.1:${uiPort}`;
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    port,
    uiPort,
    uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec`,
    searchAttributes: SEARCH_ATTRIBUTE_KEYS,
  });
  const config = ConfigSchema.parse({
    temporal: { task_queue: 'ui-codec' },
    encryption: { keys: [{ id: 'ui', key_env: 'UI_KEY' }] },
    api: { codec: { cors_origins: [uiUrl] } },
  });
  client = new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: dataConverterFrom(config, ENV) });
  api = buildAppFromConfig(config, client, { env: ENV });
  await api.listen({ host: '127.0.0.1', port: apiPort });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await client?.connection.close();
  await server?.stop(5_000);
});

describe('the Web UI with the codec server', () => {
  test('shows an encrypted event’s data decoded, in headless Chromium', async () => {
    // No worker: the event's input is all the page shows here, and it is stored encrypted.
    const response = await api.inject({
      method: 'POST',
      url: '/v1/events',
      payload: { id: 'evt_ui', type: 'order.created', data: { note: MARKER } },
    });
    expect(response.statusCode).toBe(202);
    const { runId } = await client.workflow.getHandle(eventWorkflowId('evt_ui')).describe();

    const page = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(eventWorkflowId('evt_ui'))}/${runId}/history`;
    const view = await viewInChromium(page, MARKER);

    expect(view.text).toContain(MARKER);
    expect(view.screenshot.subarray(1, 4).toString()).toBe('PNG');
    expect(view.screenshot.length).toBeGreaterThan(10_000);
    // Kept for a human to look at: test-results/ is ignored by git.
    await mkdir('test-results', { recursive: true });
    await writeFile(join('test-results', 'web-ui-codec.png'), view.screenshot);
  }, 120_000);
});

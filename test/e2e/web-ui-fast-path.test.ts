import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { eventWorkflowId } from '../../domain/workflow-ids.js';
import { startDevServer, type DevServer } from '../../host/dev-server.js';
import { startReceiver, type Receiver } from '../../host/receiver.js';
import { startGatewayNode, type GatewayNode } from '../../node/gateway-node.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.js';
import { viewInChromium } from '../support/chromium.js';
import { findFreePort } from '../support/ports.js';
import { installQuietRuntime } from '../support/temporal.js';

// An operator's view of the fast path: the attempt made inside the workflow task is as visible in the Temporal Web UI
// as an activity is, with its summary. A dev server of its own, since the test run's shared one has no UI.

let server: DevServer;
let node: GatewayNode;
let receiver: Receiver;
let uiUrl: string;

beforeAll(async () => {
  installQuietRuntime();
  const [port, uiPort] = [await findFreePort(), await findFreePort()];
  uiUrl = `http://127.0.0.1:${uiPort}`;
  server = await startDevServer({ cliPath: inject('temporalCliPath'), port, uiPort, searchAttributes: SEARCH_ATTRIBUTE_KEYS });
  receiver = await startReceiver();
  const config = ConfigSchema.parse({
    temporal: { address: server.address, task_queue: 'ui-fast-path' },
    delivery: { allow_destinations: ['loopback'] },
    endpoints: [{ id: 'ui-receiver', url: receiver.url, events: ['*'] }],
  });
  node = await startGatewayNode(config, {
    listen: { host: '127.0.0.1', port: 0 },
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
}, 120_000);

afterAll(async () => {
  await node?.close();
  await receiver?.close();
  await server?.stop(5_000);
});

describe('the Web UI on the fast path', () => {
  test('shows the first attempt as a local activity with its summary, in headless Chromium', async () => {
    const response = await fetch(`${node.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'evt_ui_fast', type: 'order.created', data: {} }),
    });
    expect(response.status).toBe(202);
    const handle = node.client.workflow.getHandle(eventWorkflowId('evt_ui_fast'));
    await handle.result();
    const { runId } = await handle.describe();
    const summary = `POST ${new URL(receiver.url).host} · attempt 1`;

    const page = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(eventWorkflowId('evt_ui_fast'))}/${runId}/history`;
    const view = await viewInChromium(page, summary);

    expect(view.text).toContain('Local Activity');
    expect(view.text).toContain(summary);
    expect(view.text).toContain('order.created → 1 endpoint');
    expect(view.text).not.toContain('Activity Task Scheduled');
    expect(view.screenshot.subarray(1, 4).toString()).toBe('PNG');
    // Kept for a human to look at: test-results/ is ignored by git.
    await mkdir('test-results', { recursive: true });
    await writeFile(join('test-results', 'web-ui-fast-path.png'), view.screenshot);
  }, 120_000);
});

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, test } from 'vitest';
import { WebhooksPlugin } from '../../index.js';
import { webhookDataConverter } from '../../temporal/data-converter.js';
import { installQuietRuntime } from '../support/temporal.js';

// Stored histories are a contract: executions that the code of an earlier release started must go on under this
// one. Each fixture was recorded by `npm run histories:record` before a change to workflow code, and is replayed here
// against the code as it is now; a command that differs is a nondeterminism error.

const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const SHOP_WORKFLOWS = fileURLToPath(new URL('../fixtures/shop-workflows.ts', import.meta.url));
const workflowIds = JSON.parse(readFileSync(`${HISTORIES}workflow-ids.json`, 'utf8')) as Record<string, string>;
const fixtures = readdirSync(HISTORIES).filter((name) => name.endsWith('.json') && name !== 'workflow-ids.json');
const gatewayFixtures = fixtures.filter((name) => !name.startsWith('shop.'));
const shopFixtures = fixtures.filter((name) => name.startsWith('shop.'));

const history = (name: string): unknown => JSON.parse(readFileSync(`${HISTORIES}${name}`, 'utf8'));

describe('replaying stored histories', () => {
  test('the fixtures cover every workflow type and the paths that change workflow state', () => {
    expect(Object.keys(workflowIds).sort()).toEqual([...fixtures].sort());
    expect(gatewayFixtures).toEqual(
      expect.arrayContaining([
        'deliver-event.delivered.json',
        'deliver-event.retried.json',
        'deliver-event.held-at-routing.json',
        'deliver-event.held-by-worker.json',
        'deliver-event.parts.json',
        'endpoint.held-and-released.json',
        'endpoint.lifecycle.json',
        'endpoint.lifecycle.run-2.json',
        'endpoint.auto-disabled.json',
      ]),
    );
    expect(shopFixtures).toEqual(['shop.checkout.json', 'shop.send-duplicate.json']);
  });

  test.each(gatewayFixtures)('%s replays without a nondeterminism error', async (name) => {
    installQuietRuntime();
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: webhookDataConverter() },
        history(name),
        workflowIds[name],
      ),
    ).resolves.toBeUndefined();
  });

  test('a user workflow that sent events with sendEvent replays, through the plugin', async () => {
    installQuietRuntime();
    const plugin = new WebhooksPlugin();
    const histories = shopFixtures.map((name) => ({ workflowId: workflowIds[name] as string, history: history(name) }));
    const results: { workflowId: string; error?: unknown }[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: SHOP_WORKFLOWS, plugins: [plugin] }, histories)) {
      results.push(result);
    }
    expect(results.map((result) => [result.workflowId, result.error])).toEqual(histories.map(({ workflowId }) => [workflowId, undefined]));
  });
});

import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { endpointWorkflowId } from '../../domain/workflow-ids.js';
import { setUpSchemas } from '../../host/cluster/schema-setup.js';
import { ensureTemporalServerTools } from '../../host/temporal-server-tools.js';
import { CLUSTER_CONFIG_ENDPOINTS } from '../support/cluster-fixtures.js';
import { callApi, connectClusterClient, readJson, temporalCli } from '../support/cluster.js';

let client: Client;
beforeAll(async () => {
  client = await connectClusterClient();
});
afterAll(async () => {
  await client.connection.close();
});

const deliveryTo = async (eventId: string, endpointId: string) => {
  const report = await readJson(await callApi(`/v1/events/${eventId}`));
  return (report.body['deliveries'] as { endpoint_id: string; status: string }[] | undefined)?.find((d) => d.endpoint_id === endpointId);
};

describe('start-up on a fresh cluster', () => {
  test('ends with a running entity for every endpoint of the config file', async () => {
    for (const { id } of CLUSTER_CONFIG_ENDPOINTS) {
      await expect.poll(async () => (await client.workflow.getHandle(endpointWorkflowId(id)).describe()).status.name).toBe('RUNNING');
    }
  });

  test('a worker started on a fresh namespace registers the search attributes itself and ends with its entities running', async () => {
    // The first start: no cluster script registered anything, and a just-registered attribute is refused
    // for a while. The worker must retry until its reconcile succeeds.
    const namespace = `fresh-${Date.now().toString(36)}`;
    await client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(86_400_000) });
    const dir = await mkdtemp(join(tmpdir(), 'webhooks-fresh-'));
    const configPath = join(dir, 'webhooks.yaml');
    await writeFile(configPath, 'endpoints:\n  - { id: fresh, url: "http://127.0.0.1:9/fresh", events: [fresh.*] }\n');
    const output: string[] = [];
    const worker = spawn(process.execPath, ['--import', 'tsx', 'bin/worker.ts'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        TEMPORAL_ADDRESS: inject('cluster').temporalAddress,
        TEMPORAL_NAMESPACE: namespace,
        WEBHOOKS_CONFIG: configPath,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    try {
      const fresh = new Client({ connection: client.connection, namespace });
      await expect
        .poll(
          async () =>
            (
              await fresh.workflow
                .getHandle(endpointWorkflowId('fresh'))
                .describe()
                .catch(() => undefined)
            )?.status.name,
          {
            timeout: 90_000,
            interval: 1_000,
          },
        )
        .toBe('RUNNING');
      // The entity runs a moment before reconciliation, retrying its update, logs that it is done: wait for the line.
      await expect.poll(() => output.join(''), { timeout: 60_000 }).toContain('endpoint entities match the configuration');
      const retries = output
        .join('')
        .split('\n')
        .filter((line) => line.includes('retrying'));
      const reasons = new Set(retries.map((line) => /"error":"([^"]{0,90})/.exec(line)?.[1] ?? '?'));
      console.log(`fresh namespace: entity running after ${retries.length} logged start-up retries: ${[...reasons].join(' | ')}`);
    } finally {
      if (worker.exitCode === null && worker.signalCode === null) {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('setting up the schemas again, as every start does, changes nothing and the cluster keeps working', async () => {
    const { schema } = inject('cluster');
    const tools = await ensureTemporalServerTools();
    const steps: string[] = [];
    await setUpSchemas({
      sqlTool: tools.sqlTool,
      postgresSchema: tools.postgresSchema,
      env: schema.env,
      databases: schema.databases,
      log: (message) => steps.push(message),
    });
    expect(steps).toEqual([
      `schema of ${schema.databases.temporal} is up to date`,
      `schema of ${schema.databases.visibility} is up to date`,
    ]);
    const sent = await readJson(await callApi('/v1/events', { body: { type: 'cluster.config.beta' } }));
    expect(sent.status).toBe(202);
    await expect.poll(async () => (await deliveryTo(String(sent.body['id']), 'config-beta'))?.status).toBeDefined();
  });

  test('an endpoint paused by a raw `temporal workflow signal` holds its deliveries until it is resumed the same way', async () => {
    const workflowId = endpointWorkflowId('config-alpha');
    await temporalCli(['workflow', 'signal', '--workflow-id', workflowId, '--name', 'pause', '--input', '"paused from the CLI"']);
    await expect.poll(async () => (await readJson(await callApi('/v1/endpoints/config-alpha'))).body['status']).toBe('paused');

    // Every replica must have seen the pause before the event is routed, or it would not be held.
    let eventId = '';
    await expect
      .poll(async () => {
        const sent = await readJson(await callApi('/v1/events', { body: { type: 'cluster.config.alpha' } }));
        eventId = String(sent.body['id']);
        return (await deliveryTo(eventId, 'config-alpha'))?.status;
      })
      .toBe('held');

    await temporalCli(['workflow', 'signal', '--workflow-id', workflowId, '--name', 'resume']);
    // Released: attempted against its (closed) port, so no longer held.
    await expect.poll(async () => (await deliveryTo(eventId, 'config-alpha'))?.status).not.toBe('held');
    expect((await readJson(await callApi('/v1/endpoints/config-alpha'))).body['status']).toBe('active');
  });
});

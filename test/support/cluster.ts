import { spawn } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { defineConfig } from '../../config/load.js';
import { dataConverterFrom } from '../../temporal/data-converter.js';

/** A client of the tier's cluster, with its codecs, for what the API does not show (workflow lists, histories). */
export async function connectClusterClient(): Promise<Client> {
  const cluster = inject('cluster');
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  const config = defineConfig({ encryption: { keys: [{ id: 'cluster-1', key_env: 'CLUSTER_ENCRYPTION_KEY' }] } });
  return new Client({
    connection,
    namespace: cluster.namespace,
    dataConverter: dataConverterFrom(config, { CLUSTER_ENCRYPTION_KEY: cluster.encryptionKey }),
  });
}

/** Calls the API (the load balancer, or one replica) with the operator's key. */
export function callApi(
  path: string,
  init: { method?: string; body?: unknown; key?: 'producer' | 'operator'; base?: string } = {},
): Promise<Response> {
  const cluster = inject('cluster');
  const key = init.key === 'producer' ? cluster.secrets.WEBHOOKS_PRODUCER_KEY : cluster.secrets.WEBHOOKS_OPERATOR_KEY;
  return fetch(`${init.base ?? cluster.apiUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${key}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

/** Runs the Temporal CLI against the tier's cluster, as an operator would; resolves with its output, throws on failure. */
export function temporalCli(args: readonly string[]): Promise<string> {
  const cluster = inject('cluster');
  return new Promise((resolve, reject) => {
    const child = spawn(cluster.temporalCliPath, [...args, '--address', cluster.temporalAddress, '--namespace', cluster.namespace], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`temporal ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

/** Reads an API answer as JSON, with its status. */
export async function readJson(response: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/**
 * Waits until every API replica routes events of `probeType` to `endpointId`, for delivery: each replica follows the entities'
 * changes on its own, so an endpoint created through one is routed by the others a moment later. Probes are
 * events of `probeType`, which the endpoint's receiver gets too; returns the ids of those routed to it for delivery.
 */
export async function waitUntilRoutedEverywhere(endpointId: string, probeType: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const delivered: string[] = [];
  for (const base of inject('cluster').replicaUrls) {
    for (;;) {
      const sent = await readJson(await callApi('/v1/events', { base, body: { type: probeType } }));
      const report = await readJson(await callApi(`/v1/events/${String(sent.body['id'])}`, { base }));
      // A replica that still sees the endpoint disabled or paused routes to it too, as cancelled or held.
      const deliveries = (report.body['deliveries'] as { endpoint_id: string; status: string }[] | undefined) ?? [];
      if (deliveries.some((d) => d.endpoint_id === endpointId && d.status !== 'cancelled' && d.status !== 'held')) {
        delivered.push(String(sent.body['id']));
        break;
      }
      if (Date.now() > deadline) throw new Error(`${base} did not route ${probeType} to ${endpointId} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return delivered;
}

/** Waits until `check` holds, for hooks (where `expect.poll` is not allowed); throws after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

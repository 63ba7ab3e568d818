import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { embeddedTemporalService } from '../../host/embedded-temporal.js';
import type { RunningService } from '../../host/supervisor.js';
import type { SearchAttributeDefinition } from '../../temporal/namespace-setup.js';
import { SEARCH_ATTRIBUTE_KEYS, retryingEndpointIdsKey } from '../../workflows/search-attributes.js';
import { findFreePort } from '../support/ports.js';

// The embedded server keeps the search attributes its services read at start (EMBEDDED_DYNAMIC_CONFIG). A data
// directory made by an older release lacks the newest attribute: the gateway registers it, and the server must
// accept it at once, as it does on a new file.

let dataDir: string;
let running: RunningService | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'webhooks-embedded-'));
});

afterAll(async () => {
  await running?.stop(5_000);
  await rm(dataDir, { recursive: true, force: true });
});

async function startEmbedded(searchAttributes: readonly SearchAttributeDefinition[], log: string[]) {
  const config = ConfigSchema.parse({ embedded: { data_dir: dataDir, port: await findFreePort() } });
  const service = embeddedTemporalService({
    cliPath: inject('temporalCliPath'),
    config,
    searchAttributes,
    headless: true,
    log: (line) => log.push(line),
  });
  const started = await service.start(new AbortController().signal);
  running = started;
  return { address: service.started().address, started };
}

describe('the embedded Temporal server', () => {
  test('registers a search attribute missing from an older data directory, usable at once', async () => {
    const older = SEARCH_ATTRIBUTE_KEYS.filter((key) => key.name !== retryingEndpointIdsKey.name);
    await startEmbedded(older, []);
    await running?.stop(5_000);
    running = undefined;

    const log: string[] = [];
    const { address, started } = await startEmbedded(SEARCH_ATTRIBUTE_KEYS, log);
    expect(log.join('\n')).toContain(`registered search attributes ${retryingEndpointIdsKey.name}; restarting`);

    // No worker needed: the start alone is what a stale server refuses ("search attribute … is not defined").
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      const handle = await client.workflow.start('deliverEvent', {
        workflowId: 'embedded-new-attribute',
        taskQueue: 'nobody-polls',
        args: [],
        typedSearchAttributes: [{ key: retryingEndpointIdsKey, value: ['ep_1'] }],
      });
      const { typedSearchAttributes } = await handle.describe();
      expect(typedSearchAttributes.get(retryingEndpointIdsKey)).toEqual(['ep_1']);
      await handle.terminate('test done');
    } finally {
      await connection.close();
    }

    // What start() handed back is the server that answered, not the one stopped before it: stopping it ends it.
    const { pid } = started;
    expect(pid).toBeDefined();
    expect(() => process.kill(pid as number, 0)).not.toThrow();
    running = undefined;
    await started.stop(5_000);
    await started.exited;
    expect(() => process.kill(pid as number, 0)).toThrow();
  }, 180_000);
});

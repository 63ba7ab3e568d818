import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../../host/dev-server.js';
import { ensureTemporalCli } from '../../host/temporal-cli.js';
import { WORKFLOWS_PATH } from '../../worker/worker.js';
import { WebhooksPlugin } from '../../worker/plugin.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes.js';
import { findFreePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    workflowBundlePath: string;
  }
}

/** Starts one Temporal dev server (in memory, headless) and bundles the workflows once for the whole run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cliPath = await ensureTemporalCli({ log: (message) => console.log(message) });
  const [server, code] = await Promise.all([
    startDevServer({ cliPath, port: await findFreePort(), searchAttributes: SEARCH_ATTRIBUTE_KEYS }),
    // Through the plugin, as the gateway's own workers bundle them: the same modules, shared the same way.
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      plugins: [new WebhooksPlugin()],
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    }),
  ]);
  const bundleDir = await mkdtemp(join(tmpdir(), 'webhooks-bundle-'));
  const bundlePath = join(bundleDir, 'workflows.js');
  await writeFile(bundlePath, code.code);

  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cliPath);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await server.stop(5_000);
    await rm(bundleDir, { recursive: true, force: true });
  };
}

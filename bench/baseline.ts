import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { WORKER_TUNING } from '../worker/worker.js';
import { createBaselineActivities } from './baseline-activities.js';
import type { notify } from './baseline-workflows.js';

// A hand-written Temporal service for the benchmark's baselines, in a process of its own as the gateway node is:
// `baseline.ts <temporal address> <plain|fast> <receiver url>…`. It answers `POST /events {"id", "fanOut"}` with 202
// once Temporal has started the event's workflow. `fast` starts eagerly, on a client sharing the worker's
// NativeConnection, and POSTs from local activities; `plain` starts through an ordinary client and POSTs from
// activities.

const [address, mode, ...receiverUrls] = process.argv.slice(2);
if (!address || (mode !== 'plain' && mode !== 'fast') || receiverUrls.length === 0) {
  throw new Error('usage: baseline.ts <temporal address> <plain|fast> <receiver url>…');
}
const fast = mode === 'fast';
const taskQueue = `baseline-${mode}`;

Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url)),
  activities: createBaselineActivities(),
  // The gateway's own tuning (see WORKER_TUNING): the comparison is with hand-written code at its best.
  ...WORKER_TUNING,
});
const running = worker.run();
const client = fast ? new Client({ connection }) : new Client({ connection: await Connection.connect({ address }) });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      try {
        const { id, fanOut } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; fanOut: number };
        const body = JSON.stringify({ type: 'bench.event', data: { n: id } });
        await client.workflow.start<typeof notify>('notify', {
          workflowId: `bench/${id}`,
          taskQueue,
          args: [{ id, urls: receiverUrls.slice(0, fanOut), body, local: fast }],
          ...(fast ? { requestEagerStart: true } : {}),
        });
        res.writeHead(202).end();
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    })();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
console.log(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}`);

process.once('SIGTERM', () => {
  server.close();
  worker.shutdown();
  void running.then(async () => {
    await connection.close();
    process.exit(0);
  });
});

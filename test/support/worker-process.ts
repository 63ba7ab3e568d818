import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigSchema } from '../../config/schema.js';
import { createWebhookWorker } from '../../worker/worker.js';

// A project worker in a process of its own, for tests that kill it: `worker-process.ts <address> <task queue> <bundle>`.

const [address, taskQueue, codePath] = process.argv.slice(2);
if (!address || !taskQueue || !codePath) throw new Error('usage: worker-process.ts <address> <task queue> <bundle path>');

Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address });
const { run } = await createWebhookWorker({
  connection,
  namespace: 'default',
  taskQueue,
  workflowBundle: { codePath },
  config: ConfigSchema.parse({ delivery: { allow_destinations: ['loopback'] } }),
});
console.log('worker ready');
await run();
await connection.close();

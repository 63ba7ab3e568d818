import { runMain } from '../host/run-main.js';
import { startReceiver } from '../host/receiver.js';

// A receiver to try the gateway with: prints every webhook it gets and answers 200.

runMain(async () => {
  const port = Number(process.env['PORT'] ?? 4000);
  const receiver = await startReceiver({
    port,
    onRequest: (request) => {
      const webhookId = request.headers['webhook-id'] ?? '-';
      console.log(`${new Date().toISOString()} ${request.method} ${request.path} webhook-id=${String(webhookId)}\n  ${request.body}`);
    },
  });
  console.log(`receiver listening on ${receiver.url} (Ctrl-C to stop)`);
  const stop = (): void => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

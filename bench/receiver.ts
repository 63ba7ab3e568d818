import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The benchmark's receiver: answers 200 at once and tells who waits for an event when its requests arrive. */
export interface ArrivalReceiver {
  /** Its base URL; any path is taken. */
  readonly url: string;
  /** Resolves with the arrival times of the first `count` requests carrying this `webhook-id`; rejects after `timeoutMs`. */
  arrivals(webhookId: string, count: number, timeoutMs?: number): Promise<number[]>;
  /** Requests received in all. */
  readonly received: number;
  close(): Promise<void>;
}

interface Waiter {
  readonly count: number;
  readonly resolve: (times: number[]) => void;
}

/** Starts the receiver on a free loopback port. Arrivals are kept only until someone has waited for them. */
export async function startArrivalReceiver(): Promise<ArrivalReceiver> {
  const seen = new Map<string, number[]>();
  const waiters = new Map<string, Waiter>();
  let received = 0;
  const server: Server = createServer((req, res) => {
    const id = String(req.headers['webhook-id'] ?? '');
    req.resume();
    req.on('end', () => {
      const at = performance.now();
      received++;
      res.writeHead(200).end('ok');
      const times = seen.get(id) ?? [];
      times.push(at);
      seen.set(id, times);
      const waiter = waiters.get(id);
      if (waiter && times.length >= waiter.count) {
        waiters.delete(id);
        seen.delete(id);
        waiter.resolve(times);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    arrivals(webhookId, count, timeoutMs = 60_000) {
      const times = seen.get(webhookId) ?? [];
      if (times.length >= count) {
        seen.delete(webhookId);
        return Promise.resolve(times);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(webhookId);
          reject(new Error(`${webhookId}: ${seen.get(webhookId)?.length ?? 0} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(webhookId, {
          count,
          resolve: (arrived) => {
            clearTimeout(timer);
            resolve(arrived);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

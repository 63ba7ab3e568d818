import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Arrival } from './tally.js';

/**
 * How the receiver answers, chosen by the first segment of the path an endpoint's URL names, so that one receiver
 * plays every kind of endpoint a scenario needs.
 */
export const BEHAVIOURS = {
  /** 200 at once. */
  ok: 'ok',
  /** Answers 200 only after `slowMs`, longer than the endpoint's timeout. */
  slow: 'slow',
  /** Destroys the connection without an answer. */
  reset: 'reset',
  /** 429 with `Retry-After: retryAfterSeconds`. */
  rateLimited: 'rate-limited',
  /** 200 with a body of `hugeBodyBytes`, streamed slowly. */
  hugeBody: 'huge-body',
  /** 302 to another path of this receiver. */
  redirect: 'redirect',
  /** 503 to the first request of each webhook-id, 200 after. */
  failOnce: 'fail-once',
} as const;
export type Behaviour = (typeof BEHAVIOURS)[keyof typeof BEHAVIOURS];

export interface ChaosReceiverOptions {
  readonly slowMs?: number;
  readonly retryAfterSeconds?: number;
  readonly hugeBodyBytes?: number;
}

/** A receiver on loopback that records every request and can go down (refusing connections) and come back. */
export interface ChaosReceiver {
  readonly url: string;
  /** Every request that reached it, in order of arrival. */
  readonly arrivals: readonly Arrival[];
  /** Closes the listener and every open connection: deliveries then meet `connection refused`. */
  goDown(): Promise<void>;
  /** Listens again, on the same port. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

const HUGE_BODY_CHUNK = Buffer.alloc(64 * 1024, 'x');

export async function startChaosReceiver(options: ChaosReceiverOptions = {}): Promise<ChaosReceiver> {
  const slowMs = options.slowMs ?? 10_000;
  const retryAfterSeconds = options.retryAfterSeconds ?? 2;
  const hugeBodyBytes = options.hugeBodyBytes ?? 64 * 2 ** 20;
  const arrivals: Arrival[] = [];
  const failedOnce = new Set<string>();
  const sockets = new Set<Socket>();

  const answer = (behaviour: string, webhookId: string, res: ServerResponse): void => {
    switch (behaviour) {
      case BEHAVIOURS.slow: {
        const timer = setTimeout(() => res.writeHead(200).end('late'), slowMs);
        res.once('close', () => clearTimeout(timer));
        return;
      }
      case BEHAVIOURS.reset:
        return void res.socket?.destroy();
      case BEHAVIOURS.rateLimited:
        return void res.writeHead(429, { 'retry-after': String(retryAfterSeconds) }).end('slow down');
      case BEHAVIOURS.hugeBody:
        return streamHugeBody(res, hugeBodyBytes);
      case BEHAVIOURS.redirect:
        return void res.writeHead(302, { location: '/ok/redirected' }).end();
      case BEHAVIOURS.failOnce:
        if (failedOnce.has(webhookId)) return void res.writeHead(200).end('ok');
        failedOnce.add(webhookId);
        return void res.writeHead(503).end('first try fails');
      default:
        return void res.writeHead(200).end('ok');
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      const path = req.url ?? '/';
      const webhookId = String(req.headers['webhook-id'] ?? '');
      const timestamp = Number(req.headers['webhook-timestamp']);
      // Recorded once the exchange is over, with the status the receiver got out before it ended (none, for a slow
      // answer the sender stopped waiting for).
      res.once('close', () =>
        arrivals.push({
          webhookId,
          path,
          at,
          answered: res.headersSent ? res.statusCode : 'cut',
          ...seqOf(Buffer.concat(chunks).toString('utf8')),
          ...(Number.isFinite(timestamp) ? { webhookTimestamp: timestamp } : {}),
        }),
      );
      answer(path.split('/')[1] ?? '', webhookId, res);
    });
  };

  let server = await listen(createServer(handle), 0, sockets);
  const { port } = server.address() as AddressInfo;
  let up = true;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    async goDown() {
      if (!up) return;
      up = false;
      await closeServer(server, sockets);
    },
    async comeBack() {
      if (up) return;
      server = await listen(createServer(handle), port, sockets);
      up = true;
    },
    async close() {
      if (up) await closeServer(server, sockets);
      up = false;
    },
  };
}

function seqOf(body: string): { seq?: number } {
  try {
    const seq = (JSON.parse(body) as { data?: { seq?: unknown } }).data?.seq;
    return typeof seq === 'number' ? { seq } : {};
  } catch {
    return {};
  }
}

// A receiver that sends megabytes slowly: the gateway must keep only an excerpt and give up at its timeout.
function streamHugeBody(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(bytes) });
  let sent = 0;
  const write = (): void => {
    while (sent < bytes && !res.destroyed) {
      sent += HUGE_BODY_CHUNK.length;
      if (!res.write(HUGE_BODY_CHUNK)) return void res.once('drain', () => setTimeout(write, 10));
    }
    if (!res.destroyed) res.end();
  };
  write();
}

function listen(server: Server, port: number, sockets: Set<Socket>): Promise<Server> {
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

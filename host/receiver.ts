import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** A request the receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `Date.now()` when the body had fully arrived. */
  readonly receivedAt: number;
  /** Over HTTPS with client certificates: the common name of the certificate the sender presented. */
  readonly clientCertificate?: string;
}

/** How the receiver answers one request. */
export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Wait this long before answering, to act as a slow receiver. */
  readonly delayMs?: number;
  /** Send the status and headers, then the body this much later: a receiver that says yes before it has finished. */
  readonly bodyDelayMs?: number;
}

/** A webhook receiver on loopback whose answers can be scripted, one per request, then a default. */
export interface Receiver {
  readonly url: string;
  readonly requests: readonly ReceivedRequest[];
  /** The most requests that were waiting for their answer at the same time. */
  readonly peakConcurrency: number;
  /** Answers the next requests with these, in order; after them, the default answer. */
  script(...responses: ScriptedResponse[]): void;
  /** Resolves with the requests once at least `count` have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly ReceivedRequest[]>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  readonly host?: string;
  /** 0, the default, picks a free port. */
  readonly port?: number;
  readonly defaultResponse?: ScriptedResponse;
  readonly onRequest?: (request: ReceivedRequest) => void;
  /**
   * Serve HTTPS with this certificate and key (PEM); with `clientCa`, also require a client certificate that CA
   * signed, as a receiver behind mutual TLS does.
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
}

/** Starts a {@link Receiver}. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  const waiters = new Set<() => void>();
  const defaultResponse = options.defaultResponse ?? { status: 200, body: 'ok' };
  let inFlight = 0;
  let peakConcurrency = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    peakConcurrency = Math.max(peakConcurrency, inFlight);
    res.once('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
        ...clientCertificateOf(req),
      };
      requests.push(received);
      options.onRequest?.(received);
      for (const wake of waiters) wake();
      const answer = queue.shift() ?? defaultResponse;
      const send = (): void => {
        if (res.destroyed) return;
        if (!answer.bodyDelayMs) return void res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
        res.writeHead(answer.status, answer.headers).flushHeaders();
        setTimeout(() => res.destroyed || res.end(answer.body ?? ''), answer.bodyDelayMs);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  };
  const { tls } = options;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
        },
        handle,
      )
    : createServer(handle);
  // Receivers in tests are closed while the gateway may still hold keep-alive connections to them.
  server.keepAliveTimeout = 1_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}/webhooks`,
    requests,
    get peakConcurrency() {
      return peakConcurrency;
    },
    script: (...responses) => void queue.push(...responses),
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`expected ${count} requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function clientCertificateOf(req: IncomingMessage): Pick<ReceivedRequest, 'clientCertificate'> {
  const socket = req.socket as Partial<TLSSocket>;
  const commonName = socket.getPeerCertificate?.().subject?.CN;
  return typeof commonName === 'string' ? { clientCertificate: commonName } : {};
}

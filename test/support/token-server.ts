import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One token request as the token server saw it. */
export interface TokenRequest {
  readonly clientId: string;
  readonly secret: string;
  /** How the client sent its credentials. */
  readonly via: 'basic' | 'post';
  readonly form: Readonly<Record<string, string>>;
}

/** An OAuth2 token endpoint on loopback whose answers a test scripts: client credentials grant only. */
export interface TokenServer {
  readonly url: string;
  readonly requests: readonly TokenRequest[];
  /** The tokens it gives next are valid this long (`expires_in`); undefined leaves expires_in out. */
  expiresInSeconds: number | undefined;
  /** How long it takes to answer each request from now on (a slow or overloaded authorization server). */
  answerDelayMs: number;
  close(): Promise<void>;
}

/**
 * Grants `token-1`, `token-2`, … to the clients in `clients` (id → secret), and answers anyone else 401
 * `invalid_client`, as RFC 6749 §5.2 says.
 */
export async function startTokenServer(clients: Readonly<Record<string, string>>): Promise<TokenServer> {
  const requests: TokenRequest[] = [];
  let issued = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic
        ? Buffer.from(basic, 'base64')
            .toString('utf8')
            .split(':')
            .map((part) => decodeURIComponent(part))
        : [form['client_id'], form['client_secret']];
      requests.push({ clientId: id ?? '', secret: secret ?? '', via: basic ? 'basic' : 'post', form });
      const json = (status: number, body: unknown): void =>
        void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      if (form['grant_type'] !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
      if (id === undefined || clients[id] === undefined || clients[id] !== secret) {
        return json(401, { error: 'invalid_client', error_description: 'client authentication failed' });
      }
      issued++;
      const grant = {
        access_token: `token-${issued}`,
        token_type: 'Bearer',
        ...(tokenServer.expiresInSeconds === undefined ? {} : { expires_in: tokenServer.expiresInSeconds }),
      };
      if (tokenServer.answerDelayMs <= 0) return json(200, grant);
      const timer = setTimeout(() => json(200, grant), tokenServer.answerDelayMs);
      res.once('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const tokenServer: TokenServer = {
    url: `http://127.0.0.1:${port}/oauth/token`,
    requests,
    expiresInSeconds: 3_600,
    answerDelayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return tokenServer;
}

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { ensureSearchAttributes, setNamespaceRetention, type SearchAttributeDefinition } from '../temporal/namespace-setup.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { createStoreWatchdog } from './store-watchdog.js';
import type { ServiceSpec } from './supervisor.js';

const STOP_GRACE_MS = 10_000;

/**
 * What the embedded server changes in the dev server's dynamic config. The CLI makes every service read the search
 * attributes from the database on each use, so that ones registered a moment ago work at once; that read costs a
 * query per start, upsert and history page, holding the SQLite connection each time. The gateway registers its own
 * at every start (and restarts the server when it had to), so the services may keep them as servers normally do.
 * Measured with `perf record` on the server (BENCHMARKS.md, 2026-12-01): the reads alone took 3.4–3.7 % of its
 * CPU with the gateway's deliveries (2.0–2.2 % with a workflow that sets no search attribute), and the server's
 * samples per delivery fell by a quarter without them.
 */
export const EMBEDDED_DYNAMIC_CONFIG = { 'system.forceSearchAttributesCacheRefreshOnRead': false } as const;

export interface EmbeddedTemporalOptions {
  readonly cliPath: string;
  readonly config: Config;
  /** The gateway's search attributes, registered at every start (the workflows' own list: host/ cannot import it). */
  readonly searchAttributes: readonly SearchAttributeDefinition[];
  /** Without the Web UI (the chaos suite's servers, which nobody looks at). */
  readonly headless?: boolean;
  /** In a process group of its own, out of reach of a terminal's Ctrl-C (`npm start`, whose supervisor stops it last). */
  readonly detached?: boolean;
  readonly log: (line: string) => void;
}

/** Where an embedded server listens, once it has started. */
export interface EmbeddedTemporalAddress {
  readonly address: string;
  readonly uiUrl?: string;
}

/**
 * The embedded Temporal server of `npm start` as a supervised service: a dev server keeping its state in a SQLite file
 * under `embedded.data_dir`, so that a restart (after a crash, or of the whole gateway) finds every event it had.
 */
export function embeddedTemporalService(
  options: EmbeddedTemporalOptions,
): ServiceSpec & { readonly started: () => EmbeddedTemporalAddress } {
  const { config, log } = options;
  const dataDir = resolve(config.embedded.data_dir);
  let started: EmbeddedTemporalAddress | undefined;

  /** Starts the server on its file and sets up its namespace; says which search attributes it had to register. */
  const launch = async (killed: AbortSignal): Promise<{ server: DevServer; added: string[] }> => {
    killed.throwIfAborted();
    // A server whose store failed (a full disk) may not recover by itself: stopping it lets the supervisor start
    // a fresh one on the same file, which works again once the disk has room.
    let stuck = false;
    let restart = (): void => void (stuck = true);
    const watchdog = createStoreWatchdog({
      onStuck: () => {
        log(`its store has been failing for 30 s (is the disk of ${dataDir} full?): restarting it`);
        restart();
      },
    });
    const server = await startDevServer({
      cliPath: options.cliPath,
      port: config.embedded.port,
      ...(options.headless
        ? {}
        : {
            uiPort: config.embedded.ui_port,
            // The Web UI decodes payloads (encrypted, or compressed when large) through the API's codec endpoints.
            uiCodecEndpoint: `http://${browserHost(config.api.host)}:${config.api.port}/codec`,
          }),
      dbFile: join(dataDir, 'temporal.db'),
      namespace: config.temporal.namespace,
      searchAttributes: options.searchAttributes,
      dynamicConfig: EMBEDDED_DYNAMIC_CONFIG,
      ...(options.detached ? { detached: true } : {}),
      killed,
      onOutput: (line) => {
        watchdog.observe(line);
        log(line);
      },
    });
    restart = () => void server.stop(STOP_GRACE_MS);
    try {
      if (stuck) throw new Error('its store failed while it started');
      killed.throwIfAborted();
      // Every (re)start: the flags above only apply to a new database file, and retention is ours to set.
      const connection = await Connection.connect({ address: server.address });
      try {
        // Killed meanwhile, the server answers nothing: the calls end with it rather than retrying. The signal is this
        // launch's own, since the connection adds a listener per call and never takes it off.
        return await connection.withAbortSignal(AbortSignal.any([killed]), async () => {
          const added = await ensureSearchAttributes(connection, config.temporal.namespace, options.searchAttributes);
          await setNamespaceRetention(connection, config.temporal.namespace, config.embedded.retention);
          return { server, added };
        });
      } finally {
        await connection.close();
      }
    } catch (error) {
      // The supervisor tries again: not beside a server still holding the port.
      await server.stop(STOP_GRACE_MS);
      throw error;
    }
  };
  return {
    name: 'temporal',
    started: () => {
      if (!started) throw new Error('the embedded Temporal server has not started yet');
      return started;
    },
    start: async (killed): Promise<DevServer> => {
      await mkdir(dataDir, { recursive: true });
      const first = await launch(killed);
      let server = first.server;
      if (first.added.length > 0) {
        // Its services keep the search attributes in caches (see EMBEDDED_DYNAMIC_CONFIG): one registered on the running
        // server is refused until they refresh, so it starts again and reads them at once.
        log(`registered search attributes ${first.added.join(', ')}; restarting so that every service reads them`);
        await server.stop(STOP_GRACE_MS);
        server = (await launch(killed)).server;
      }
      started = { address: server.address, ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}) };
      log(`ready on ${server.address}${server.uiUrl ? `, Web UI ${server.uiUrl}` : ''} (data in ${dataDir})`);
      return server;
    },
  };
}

// The address a browser on this machine uses for the API: a wildcard listener is reached on loopback.
function browserHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
}

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { ensureSearchAttributes, setNamespaceRetention, type SearchAttributeDefinition } from '../temporal/namespace-setup.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { createStoreWatchdog } from './store-watchdog.js';
import type { ServiceSpec } from './supervisor.js';

const STOP_GRACE_MS = 10_000;

export interface EmbeddedTemporalOptions {
  readonly cliPath: string;
  readonly config: Config;
  /** The gateway's search attributes, registered at every start (the workflows' own list: host/ cannot import it). */
  readonly searchAttributes: readonly SearchAttributeDefinition[];
  /** Without the Web UI (the chaos suite's servers, which nobody looks at). */
  readonly headless?: boolean;
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
  return {
    name: 'temporal',
    started: () => {
      if (!started) throw new Error('the embedded Temporal server has not started yet');
      return started;
    },
    start: async (): Promise<DevServer> => {
      await mkdir(dataDir, { recursive: true });
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
        onOutput: (line) => {
          watchdog.observe(line);
          log(line);
        },
      });
      restart = () => void server.stop(STOP_GRACE_MS);
      try {
        if (stuck) throw new Error('its store failed while it started');
        // Every (re)start: the flags above only apply to a new database file, and retention is ours to set.
        const connection = await Connection.connect({ address: server.address });
        try {
          await ensureSearchAttributes(connection, config.temporal.namespace, options.searchAttributes);
          await setNamespaceRetention(connection, config.temporal.namespace, config.embedded.retention);
        } finally {
          await connection.close();
        }
      } catch (error) {
        // The supervisor tries again: not beside a server still holding the port.
        await server.stop(STOP_GRACE_MS);
        throw error;
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

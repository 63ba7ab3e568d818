import { Client, Connection, type ClientPlugin } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/schema.js';
import { dataConverterFrom } from './data-converter.js';

/** Where the worker and API connect when the config names no server: the embedded dev server's default port. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

interface ConnectionSettings {
  readonly address: string;
  readonly tls?: boolean;
  readonly apiKey?: string;
}

function settingsFrom(config: Config, env: NodeJS.ProcessEnv): ConnectionSettings {
  const apiKey = env[config.temporal.api_key_env];
  return {
    address: config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS,
    // An API key only travels over TLS (Temporal Cloud requires it), so setting one turns TLS on.
    ...(config.temporal.tls || apiKey ? { tls: true } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** A client for starting and inspecting workflows, connected as the config says, with the given plugins (tracing). */
export async function connectClient(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  plugins: readonly ClientPlugin[] = [],
): Promise<Client> {
  const connection = await Connection.connect(settingsFrom(config, env));
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFrom(config, env),
    plugins: [...plugins],
  });
}

/** The worker's native connection, connected as the config says. */
export function connectWorker(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<NativeConnection> {
  return NativeConnection.connect(settingsFrom(config, env));
}

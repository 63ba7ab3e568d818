import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../test/support/ports.js';

/** A system the benchmark sends events through: a gateway node, or a hand-written Temporal service. */
export interface SystemUnderTest {
  readonly name: string;
  /** The process serving it, whose memory and CPU are reported. */
  readonly pid: number;
  /** The workflow id that delivers event `id`. */
  workflowIdOf(id: string): string;
  /** Hands an event for `fanOut` endpoints to the system; resolves once the system answered that it has it. */
  send(id: string, fanOut: number): Promise<void>;
  stop(): Promise<void>;
}

/** A gateway node under test: its API too, for operations beyond sending. */
export interface GatewayUnderTest extends SystemUnderTest {
  readonly apiUrl: string;
  readonly taskQueue: string;
  /** Sends an event of `type`, for the endpoints a benchmark created itself. */
  sendOfType(id: string, type: string): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FAN_OUT = 10;

/** The receiver's URL for endpoint `index`: ten endpoints, one receiver. */
export const endpointUrl = (receiverUrl: string, index: number): string => `${receiverUrl}/r/${index}`;

function run(args: readonly string[], env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): { child: ChildProcess; output: string[] } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output };
}

async function until(what: string, check: () => Promise<boolean> | boolean, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (child.exitCode !== null) throw new Error(`${what}: the process exited (${child.exitCode}):\n${output.join('')}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready within 120 s:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // Read to the end either way: an unread body holds its connection until garbage collection.
  const answer = await response.text();
  if (response.status !== 202) throw new Error(`${url} answered ${response.status}: ${answer}`);
}

/**
 * A gateway node as `npm start` runs it (`bin/node.ts`), with ten endpoints on the receiver: `bench.one` goes to the
 * first, `bench.ten` to all ten. Rate limits are off (a benchmark is a flood) and logs are warnings only.
 */
export async function startGatewayNode(
  temporalAddress: string,
  receiverUrl: string,
  fastPath: boolean,
  dir: string,
  observability: ObservabilityVariant = { name: '', metrics: true },
): Promise<GatewayUnderTest> {
  const port = await findFreePort();
  const variant = `${fastPath ? 'fast' : 'plain'}${observability.name ? `-${observability.name}` : ''}`;
  const configPath = join(dir, `gateway-${variant}.yaml`);
  const taskQueue = `bench-gateway-${variant}`;
  // Endpoint ids named like the task queue: entities are per endpoint id in the namespace, and one left by a node of
  // another name runs on that node's task queue, which nobody polls once it has stopped. A node of the same name,
  // started again, serves its own entities again.
  const endpointIdPrefix = variant.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
  const endpoints = Array.from(
    { length: FAN_OUT },
    (_, index) =>
      `  - { id: ${endpointIdPrefix}-${index}, url: "${endpointUrl(receiverUrl, index)}", events: [${index === 0 ? 'bench.one, ' : ''}bench.ten]${
        index === 0 && observability.firstEndpoint ? `, ${observability.firstEndpoint}` : ''
      } }`,
  );
  await writeFile(
    configPath,
    [
      'log_level: warn',
      `temporal: { address: "${temporalAddress}", task_queue: ${taskQueue} }`,
      `api: { host: 127.0.0.1, port: ${port}, rate_limits: { global: null, per_key: null } }`,
      `delivery: { allow_destinations: [loopback], fast_path: ${fastPath} }`,
      `metrics: { enabled: ${observability.metrics} }`,
      'endpoints:',
      ...endpoints,
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: temporalAddress };
  delete env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  delete env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (observability.otlpEndpoint) env['OTEL_EXPORTER_OTLP_ENDPOINT'] = observability.otlpEndpoint;
  Object.assign(env, observability.env);
  const { child, output } = run(['bin/node.ts', '--config', configPath], env, observability.nodeArgs);
  const api = `http://127.0.0.1:${port}`;
  const ready = async (): Promise<boolean> => {
    try {
      return (await fetch(`${api}/readyz`)).ok;
    } catch {
      return false;
    }
  };
  await until('the gateway node', ready, child, output);
  // Its entities exist once the worker has reconciled them; until then routing goes by the file alone, which is the same.
  return {
    name: `gateway node, fast path ${fastPath ? 'on' : 'off'}${observability.name ? `, ${observability.name}` : ''}`,
    pid: child.pid as number,
    apiUrl: api,
    taskQueue,
    workflowIdOf: (id) => `event/${id}`,
    // The config's endpoints: the first, or all ten.
    send: (id, fanOut) => post(`${api}/v1/events`, { id, type: fanOut === 1 ? 'bench.one' : 'bench.ten', data: { n: id } }),
    sendOfType: (id, type) => post(`${api}/v1/events`, { id, type, data: { n: id } }),
    stop: stopper(child),
  };
}

const SCRAPE_INTERVAL_MS = 5_000;

/**
 * Scrapes a node's metrics every 5 s as Prometheus would, so that what the scrapes cost is in a benchmark's figures,
 * when the variant has metrics on; what it returns stops it.
 */
export function scrapeLikePrometheus(variant: ObservabilityVariant, system: GatewayUnderTest): () => void {
  if (!variant.metrics) return () => undefined;
  const scraper = setInterval(
    () =>
      void fetch(`${system.apiUrl}/metrics`).then(
        (response) => response.text(),
        () => '',
      ),
    SCRAPE_INTERVAL_MS,
  );
  return () => clearInterval(scraper);
}

/** What a gateway node under test observes: metrics on or off, and traces exported to an OTLP endpoint or not. */
export interface ObservabilityVariant {
  readonly name: string;
  readonly metrics: boolean;
  readonly otlpEndpoint?: string;
  /** More variables for the node, such as OpenTelemetry's sampler settings. */
  readonly env?: Readonly<Record<string, string>>;
  /** Options for Node itself, such as `--cpu-prof` (which Node 20 refuses in `NODE_OPTIONS`). */
  readonly nodeArgs?: readonly string[];
  /** More settings of the first endpoint (the one `bench.one` goes to), as YAML flow-mapping entries. */
  readonly firstEndpoint?: string;
}

/** A hand-written Temporal service (`bench/baseline.ts`): plain (activities) or fast (eager start, local activities). */
export async function startBaseline(temporalAddress: string, receiverUrl: string, mode: 'plain' | 'fast'): Promise<SystemUnderTest> {
  const urls = Array.from({ length: FAN_OUT }, (_, index) => endpointUrl(receiverUrl, index));
  const { child, output } = run(['bench/baseline.ts', temporalAddress, mode, ...urls], process.env);
  let url: string | undefined;
  await until('the baseline', () => (url = /ready (\S+)/.exec(output.join(''))?.[1]) !== undefined, child, output);
  return {
    name: mode === 'fast' ? 'hand-written, eager start + local activity' : 'hand-written, workflow + activity',
    pid: child.pid as number,
    workflowIdOf: (id) => `bench/${id}`,
    send: (id, fanOut) => post(`${url as string}/events`, { id, fanOut }),
    stop: stopper(child),
  };
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForReady } from '../../host/cluster/cluster.js';
import { ensureGoTool, type GoTool } from '../../host/go-tool.js';
import { spawnService } from '../../host/supervisor.js';
import { findFreePort } from './ports.js';

/** The Prometheus release docker-compose.yml runs (`prom/prometheus`); the tests build and run the same one. */
export const PROMETHEUS_VERSION = 'v3.16.0';

/** Prometheus publishes release 3.x.y to Go's module proxy as v0.3xx.y (its RELEASE.md). */
export function prometheusModuleVersion(release: string): string {
  const match = /^v3\.(\d+)\.(\d+)$/.exec(release);
  if (!match) throw new Error(`not a Prometheus 3 release: ${release}`);
  return `v0.3${(match[1] as string).padStart(2, '0')}.${match[2] as string}`;
}

/** One program of the Prometheus release, built into one cache folder. */
function prometheusProgram(name: 'prometheus' | 'promtool', pathVariable: string): GoTool {
  return {
    title: name === 'prometheus' ? 'Prometheus' : 'promtool',
    goPackage: `github.com/prometheus/prometheus/cmd/${name}`,
    version: prometheusModuleVersion(PROMETHEUS_VERSION),
    builtName: name,
    folder: `prometheus-${PROMETHEUS_VERSION.slice(1)}`,
    fileName: name,
    pathVariable,
    alternatives: [`or put a build of ${name} ${PROMETHEUS_VERSION} in ${pathVariable}.`],
  };
}

/** Finds Prometheus (`PROMETHEUS_PATH`, the per-user cache) or builds it there with `go install`, once per machine. */
export function ensurePrometheus(): Promise<string> {
  return ensureGoTool(prometheusProgram('prometheus', 'PROMETHEUS_PATH'));
}

/** Finds or builds `promtool`, the same release's tool for checking and unit-testing rules (`PROMTOOL_PATH`). */
export function ensurePromtool(): Promise<string> {
  return ensureGoTool(prometheusProgram('promtool', 'PROMTOOL_PATH'));
}

/** A Prometheus server on loopback, with a data folder of its own. */
export interface PrometheusServer {
  /** Runs a PromQL query at the current time: its result, or the error Prometheus gave. */
  query(expr: string): Promise<{ readonly result: readonly PromSample[] } | { readonly error: string }>;
  /** The series of a PromQL query's answer; throws with the error Prometheus gave. */
  series(expr: string): Promise<readonly PromSample[]>;
  /** GET of an API path (`/api/v1/targets`), its `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** One series of an instant query's answer. */
export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

/**
 * Starts Prometheus with `config` (YAML text) and resolves once it is ready; it rejects if Prometheus refuses the
 * config or its rule files, or exits, with what it printed.
 */
export async function startPrometheus(binary: string, config: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'webhooks-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const service = spawnService(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { onLine: (line) => void output.push(line) },
  );
  const stop = async (): Promise<void> => {
    await service.stop(STOP_GRACE_MS);
    await rm(dir, { recursive: true, force: true });
  };
  const exited = service.exited.then((code) => {
    throw new Error(`Prometheus exited (${code}):\n${output.join('\n')}`);
  });
  try {
    await Promise.race([
      waitForReady(`${url}/-/ready`, READY_TIMEOUT_MS).catch(() => {
        throw new Error(`Prometheus was not ready within ${READY_TIMEOUT_MS / 1_000} s:\n${output.join('\n')}`);
      }),
      exited,
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  const get = (path: string): Promise<Response> => fetch(`${url}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const api = async <T>(path: string): Promise<T> => {
    const response = await get(path);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  const query: PrometheusServer['query'] = async (expr) => {
    const response = await get(`/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`);
    const body = (await response.json()) as { status: string; data?: { result: PromSample[] }; error?: string };
    return body.status === 'success' && body.data ? { result: body.data.result } : { error: body.error ?? `HTTP ${response.status}` };
  };
  return {
    api,
    query,
    async series(expr) {
      const answer = await query(expr);
      if ('error' in answer) throw new Error(`Prometheus refused ${expr}: ${answer.error}`);
      return answer.result;
    },
    stop,
  };
}

const READY_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 10_000;

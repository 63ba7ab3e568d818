import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closedLoop } from './load.js';
import { sender, TIME_LIMIT_MS } from './measure.js';
import { startOtlpSink } from './otlp-sink.js';
import type { ArrivalReceiver } from './receiver.js';
import { startGatewayNode, type ObservabilityVariant } from './systems.js';

// `npm run bench -- --profile`: where a gateway node's CPU goes. Node's sampling profiler runs in the node (every
// thread writes a profile when it exits) while it delivers a fixed load, with tracing off and on; each thread's busy
// time is summed by package, by self time. Profiles tell what a throughput ratio cannot on a noisy machine: which
// code the CPU ran.

const WARMUP = 100;
const EVENTS = 2_000;
const PRODUCERS = 8;
const TOP = 8;

/** A `.cpuprofile` as Node writes it: a call tree and the samples taken in it. */
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One thread's profile, summed: the time it was busy, and that time by what ran (package, Node internals, native). */
export interface ThreadSummary {
  readonly busyMs: number;
  readonly byOwner: ReadonlyMap<string, number>;
}

/**
 * Who owns a frame: the npm package of its file, `node:…` for Node's own modules, a project file by the last two parts
 * of its path (`gateway/ingest.ts`), or the function's name for V8's pseudo-frames and native functions (`(garbage collector)`, `runInContext`).
 */
export function ownerOf(frame: { readonly functionName: string; readonly url: string }): string {
  const { url } = frame;
  const inPackage = url.split('node_modules/').at(-1);
  if (url.includes('node_modules/') && inPackage) {
    const parts = inPackage.split('/');
    return (inPackage.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
  }
  if (url.startsWith('node:')) return url;
  if (url) return url.replace(/^file:\/\//, '').replace(/.*\/(?=[^/]+\/[^/]+$)/, '');
  return frame.functionName || '(anonymous native)';
}

/** Sums a profile's samples by owner; `(idle)` is not busy. */
export function summarizeProfile(profile: CpuProfile): ThreadSummary {
  const owners = new Map(profile.nodes.map((node) => [node.id, ownerOf(node.callFrame)]));
  const byOwner = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, index) => {
    const owner = owners.get(id) ?? '(unknown)';
    const ms = (profile.timeDeltas[index] ?? 0) / 1_000;
    if (owner === '(idle)') return;
    busyMs += ms;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
  });
  return { busyMs, byOwner };
}

export async function measureProfiles(temporalAddress: string, receiver: ArrivalReceiver, dir: string): Promise<void> {
  const sink = await startOtlpSink();
  const variants: ObservabilityVariant[] = [
    { name: 'tracing off', metrics: true },
    { name: 'tracing on', metrics: true, otlpEndpoint: sink.url },
  ];
  try {
    for (const variant of variants) {
      const slug = `profile-${variant.name.replace(/\W+/g, '-')}`;
      const profileDir = join(dir, slug);
      const system = await startGatewayNode(temporalAddress, receiver.url, true, dir, {
        ...variant,
        name: slug,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      });
      let eventsPerSecond: number;
      try {
        const run = `prof${Date.now().toString(36)}`;
        await closedLoop(sender(system, receiver, 1, `${run}-warmup`), PRODUCERS, WARMUP, TIME_LIMIT_MS);
        eventsPerSecond = (await closedLoop(sender(system, receiver, 1, run), PRODUCERS, EVENTS, TIME_LIMIT_MS)).eventsPerSecond;
      } finally {
        // The profiles are written as the node exits.
        await system.stop();
      }
      console.log(
        `\n${variant.name}: ${WARMUP} + ${EVENTS} events at ${eventsPerSecond.toFixed(1)} events/s; busy time per thread, start included:`,
      );
      for (const file of (await readdir(profileDir)).sort()) {
        const summary = summarizeProfile(JSON.parse(await readFile(join(profileDir, file), 'utf8')) as CpuProfile);
        const top = [...summary.byOwner]
          .sort((a, b) => b[1] - a[1])
          .slice(0, TOP)
          .map(([owner, ms]) => `${owner} ${(ms / 1_000).toFixed(2)} s`);
        // OpenTelemetry's packages and the SDK's interceptors for it: what tracing itself runs.
        const tracingMs = [...summary.byOwner].filter(([owner]) => owner.includes('opentelemetry')).reduce((sum, [, ms]) => sum + ms, 0);
        console.log(
          `  ${file}: busy ${(summary.busyMs / 1_000).toFixed(1)} s (OpenTelemetry ${(tracingMs / 1_000).toFixed(2)} s); ${top.join(', ')}`,
        );
      }
    }
  } finally {
    await sink.close();
  }
}

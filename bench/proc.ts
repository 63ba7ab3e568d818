import { readFileSync } from 'node:fs';

// What a process costs, read from Linux's /proc: the benchmark reports memory and CPU of the processes it starts.

const CLOCK_TICKS_PER_SECOND = 100;

/** Resident memory of a process, in MiB. */
export function residentMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) / 1024;
}

/** CPU seconds a process has used so far, user and system, all its threads. */
export function cpuSeconds(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/stat`);
}

/** CPU seconds of a process's main thread alone: in Node, the event loop (not workers, the garbage collector's helpers or native threads). */
export function mainThreadCpuSeconds(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsIn(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  // The command name, in parentheses, may hold spaces: the fields after it are what counts.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** The share of one core a process used over `window` (0.5: half a core), measured by sampling before and after. */
export async function cpuShare(pid: number, windowMs: number): Promise<number> {
  const before = cpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return (cpuSeconds(pid) - before) / (windowMs / 1_000);
}

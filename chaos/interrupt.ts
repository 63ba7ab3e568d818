// What a chaos run must undo if it is interrupted (Ctrl-C, a CI timeout) in the middle of a fault: start the
// machine's PostgreSQL again, unmount the small disk, stop the rig's processes. Each fault registers its undo while
// it lasts; the first SIGINT or SIGTERM runs them all, newest first, then ends the process.

const undos = new Set<() => Promise<void>>();
let listening = false;

/** Keeps `undo` to run on interruption until the returned function is called. */
export function undoOnInterrupt(undo: () => Promise<void>): () => void {
  if (!listening) {
    listening = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void interrupted(signal));
  }
  undos.add(undo);
  return () => undos.delete(undo);
}

async function interrupted(signal: string): Promise<void> {
  console.error(`\n${signal}: undoing ${undos.size} fault${undos.size === 1 ? '' : 's'} in progress…`);
  for (const undo of [...undos].reverse()) await undo().catch((error: unknown) => console.error(String(error)));
  process.exit(130);
}

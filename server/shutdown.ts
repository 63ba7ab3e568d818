import type { FastifyInstance } from 'fastify';

const IDLE_SWEEP_MS = 50;

/**
 * Stops taking requests and waits for the ones in flight, but no longer than `graceMs`: then the connections still
 * open are cut, so that one stuck client cannot hold a deploy hostage. Requests that arrive meanwhile get 503.
 */
export async function closeGracefully(app: FastifyInstance, graceMs: number): Promise<{ readonly forced: boolean }> {
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    app.server.closeAllConnections();
  }, graceMs);
  // A keep-alive connection whose request finishes during the close would otherwise stay open, idle, for the whole
  // keep-alive timeout, and the close with it.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
    clearInterval(sweeper);
  }
  return { forced };
}

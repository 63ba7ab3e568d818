import { request, Agent } from 'undici';

/** The hand-written baselines' one activity: a POST, retried by Temporal when it fails. */
export function createBaselineActivities() {
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  return {
    async post(url: string, id: string, body: string): Promise<number> {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id },
        body,
        dispatcher,
        signal: AbortSignal.timeout(15_000),
      });
      await response.body.dump();
      if (response.statusCode >= 300) throw new Error(`receiver answered ${response.statusCode}`);
      return response.statusCode;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;

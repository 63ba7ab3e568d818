import { setTimeout as delay } from 'node:timers/promises';
import { createEndpoints } from './endpoints.js';
import { percentile } from './load.js';
import type { ArrivalReceiver } from './receiver.js';
import type { GatewayUnderTest } from './systems.js';

// `npm run bench -- --fan-out N`: one event to N endpoints created through the API, as an operator would have them;
// how long until each has its delivery, and whether any got two.

const SUSTAINED_MS = 75_000;
const MAX_ROUNDS = 30;

export async function measureFanOut(system: GatewayUnderTest, receiver: ArrivalReceiver, count: number): Promise<void> {
  console.log(`creating ${count} endpoints through the API…`);
  await createEndpoints(system.apiUrl, count, (index) => ({
    id: `wide-${index}`,
    url: `${receiver.url}/wide/${index}`,
    events: ['wide.*'],
  }));
  // Every endpoint must be in routing before the event is sent, or it would miss it; and the entities' own work
  // after their creation (announcing themselves to the change log) is not the event's.
  await delay(15_000);

  // Events one after another for longer than the health reporter's quiet interval (a minute), so that some event
  // shares the machine with the reports the earlier ones caused: the figure a producer of wide events would see.
  const rates: number[] = [];
  let duplicates = 0;
  for (const until = Date.now() + SUSTAINED_MS; rates.length < MAX_ROUNDS && Date.now() < until;) {
    const id = `wide-${Date.now().toString(36)}`;
    const receivedBefore = receiver.received;
    const sent = performance.now();
    await system.sendOfType(id, 'wide.event');
    const arrivals = await receiver.arrivals(id, count, 600_000);
    const sorted = arrivals.map((at) => (at - sent) / 1_000).sort((a, b) => a - b);
    const seconds = sorted.at(-1) ?? 0;
    rates.push(count / seconds);
    // Later arrivals of the same event would be duplicates: give them a moment to show.
    await delay(1_000);
    duplicates += receiver.received - receivedBefore - count;
    console.log(
      `  event ${rates.length}: to ${count} endpoints in ${seconds.toFixed(1)} s, ${(count / seconds).toFixed(0)} deliveries/s (first ${sorted[0]?.toFixed(1)} s, half ${sorted[Math.floor(count / 2)]?.toFixed(1)} s)`,
    );
  }
  const sorted = [...rates].sort((a, b) => a - b);
  console.log(
    `  ${rates.length} events: first ${rates[0]?.toFixed(0)} deliveries/s; slowest ${sorted[0]?.toFixed(0)}, median ${percentile(sorted, 0.5).toFixed(0)}, fastest ${sorted.at(-1)?.toFixed(0)}; ${duplicates} duplicates`,
  );
}

import { Agent } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { startReceiver, type Receiver } from '../../host/receiver.js';

/** A real receiver on loopback and the outbound pool that reaches it. */
export interface Loopback {
  readonly receiver: Receiver;
  readonly dispatcher: Agent;
}

/**
 * For tests that run `deliverAttempt` in the SDK's mock context: a {@link Loopback}, opened before the file's tests
 * and closed after them. `receiver` is there once the tests run.
 */
export function useLoopback(): Loopback {
  const dispatcher = new Agent({ connections: 4 });
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await dispatcher.close();
  });
  return {
    get receiver(): Receiver {
      if (!receiver) throw new Error('the loopback receiver starts before the tests, not while they are collected');
      return receiver;
    },
    dispatcher,
  };
}

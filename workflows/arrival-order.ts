import { log, setDefaultSignalHandler, setHandler, type SignalDefinition } from '@temporalio/workflow';

/** A handler of any kind, set by `register`. */
export interface HandlerRegistration {
  register(): void;
}

/** A signal's handler, to be set alone or with the others so that early signals keep their order. */
export interface SignalHandling extends HandlerRegistration {
  readonly kind: 'signal';
  readonly name: string;
  /** Sets the handler on its own: signals that came before the run's first task and bear its name run now. */
  register(): void;
  handle(...args: unknown[]): void;
}

export function signalHandling<Args extends unknown[]>(
  signal: SignalDefinition<Args>,
  handler: (...args: NoInfer<Args>) => void,
): SignalHandling {
  return {
    kind: 'signal',
    name: signal.name,
    register: () => setHandler(signal, handler),
    // The SDK decodes the arguments as the definition types them; the default handler receives them untyped.
    handle: (...args) => handler(...(args as Args)),
  };
}

/**
 * Sets the handlers so that signals which came before the run's first task run in the order Temporal accepted them.
 * The SDK keeps such signals until a handler for their name is set, and each `setHandler` hands on only its own: set
 * one after another, they would run in the order the handlers were set (a pause sent after a resume would run first
 * if its handler were set first, and the endpoint would end up resumed). A default handler set before the others takes
 * every waiting signal at once, in the order they came; it stays set for names no handler is set for, which are
 * ignored as they were before (then kept unhandled by the SDK).
 */
export function setSignalHandlersInArrivalOrder(handlings: readonly SignalHandling[]): void {
  const byName = new Map(handlings.map((handling) => [handling.name, handling]));
  setDefaultSignalHandler((name, ...args) => {
    const handling = byName.get(name);
    if (handling) handling.handle(...args);
    else log.warn('signal ignored: no handler for its name', { signal: name });
  });
  for (const handling of handlings) handling.register();
}

const isSignalHandling = (registration: HandlerRegistration): registration is SignalHandling =>
  'kind' in registration && registration.kind === 'signal';

/**
 * Sets the handlers: one after another in the order given, or, with `signalsInArrivalOrder`, the signal handlers
 * first and together (see {@link setSignalHandlersInArrivalOrder}), then the others in the order given.
 */
export function setHandlers(
  registrations: readonly HandlerRegistration[],
  { signalsInArrivalOrder }: { signalsInArrivalOrder: boolean },
): void {
  if (signalsInArrivalOrder) setSignalHandlersInArrivalOrder(registrations.filter(isSignalHandling));
  for (const registration of registrations) {
    if (!signalsInArrivalOrder || !isSignalHandling(registration)) registration.register();
  }
}

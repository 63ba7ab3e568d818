import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import { log, setDefaultSignalHandler, setHandler, type SignalDefinition } from '@temporalio/workflow';
import type { Handler, UpdateHandlerOptions } from '@temporalio/workflow/lib/interfaces.js';

/** A handler to set, made by `signalHandling`, `updateHandling` or `queryHandling`. */
export type HandlerRegistration = SignalHandling | OtherHandling;

/** A signal's handler, to be set alone or with the others so that early signals keep their order. */
export interface SignalHandling {
  readonly kind: 'signal';
  readonly name: string;
  /** Sets the handler on its own: signals that came before the run's first task and bear its name run now. */
  register(): void;
  handle(...args: unknown[]): void | Promise<void>;
}

/** An update's or a query's handler: early updates run as their handler is set, queries are never early. */
interface OtherHandling {
  readonly kind: 'update' | 'query';
  register(): void;
}

export function signalHandling<Args extends unknown[]>(
  signal: SignalDefinition<Args>,
  handler: (...args: NoInfer<Args>) => void | Promise<void>,
): SignalHandling {
  return {
    kind: 'signal',
    name: signal.name,
    register: () => setHandler(signal, handler),
    // Through the default handler the SDK decodes the arguments without the definition's `typeInfo`: none of this
    // project's signals has one, so both ways decode alike.
    handle: (...args) => handler(...(args as Args)),
  };
}

export function updateHandling<Ret, Args extends unknown[], T extends UpdateDefinition<Ret, Args>>(
  update: T,
  handler: Handler<Ret, Args, T>,
  options?: UpdateHandlerOptions<Args>,
): OtherHandling {
  return { kind: 'update', register: () => setHandler(update, handler, options) };
}

export function queryHandling<Ret, Args extends unknown[], T extends QueryDefinition<Ret, Args>>(
  query: T,
  handler: Handler<Ret, Args, T>,
): OtherHandling {
  return { kind: 'query', register: () => setHandler(query, handler) };
}

/**
 * Sets the handlers so that signals which came before the run's first task run in the order Temporal accepted them.
 * The SDK keeps such signals until a handler for their name is set, and each `setHandler` hands on only its own: set
 * one after another, they would run in the order the handlers were set (a pause sent after a resume would run first
 * if its handler were set first, and the endpoint would end up resumed). A default handler set before the others takes
 * every waiting signal at once, in the order they came, and is unset once the others are.
 *
 * An early signal no handler takes is dropped, with a warning, where the SDK would have kept it unhandled for the
 * rest of the run. One the SDK refuses to hand to a default handler (a name with its reserved `__temporal_` prefix,
 * or arguments the data converter cannot read) makes `setDefaultSignalHandler` throw after taking it off its list:
 * setting the handler again goes on with the rest.
 */
export function setSignalHandlersInArrivalOrder(handlings: readonly SignalHandling[]): void {
  const byName = new Map(handlings.map((handling) => [handling.name, handling]));
  const takeEarly = (name: string, ...args: unknown[]): void | Promise<void> => {
    const handling = byName.get(name);
    if (handling) return handling.handle(...args);
    log.warn('early signal dropped: no handler for its name', { signal: name });
  };
  for (;;) {
    try {
      setDefaultSignalHandler(takeEarly);
      break;
    } catch (error) {
      log.warn('early signal dropped: refused by the SDK', { error: error instanceof Error ? error.message : String(error) });
    }
  }
  for (const handling of handlings) handling.register();
  // Later signals of a name no handler takes are kept by the SDK, as before.
  setDefaultSignalHandler(undefined);
}

/**
 * Sets the handlers: one after another in the order given, or, with `signalsInArrivalOrder`, the signal handlers
 * first and together (see {@link setSignalHandlersInArrivalOrder}), then the others in the order given.
 */
export function setHandlers(
  registrations: readonly HandlerRegistration[],
  { signalsInArrivalOrder }: { signalsInArrivalOrder: boolean },
): void {
  if (signalsInArrivalOrder) {
    setSignalHandlersInArrivalOrder(registrations.filter((registration) => registration.kind === 'signal'));
  }
  for (const registration of registrations) {
    if (!signalsInArrivalOrder || registration.kind !== 'signal') registration.register();
  }
}

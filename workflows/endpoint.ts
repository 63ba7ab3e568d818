import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OperationalActivities } from '../activities/index.js';
import type { Endpoint } from '../domain/endpoint.js';
import {
  DEFAULT_ENDPOINT_SETTINGS,
  DEFAULT_MAX_LINE_LENGTH,
  ENDPOINT_STATE_MEMO,
  type EndpointSettings,
  type EndpointSource,
  type EndpointCore,
  type EndpointState,
  routingView,
  type EndpointChange,
  type EndpointStatus,
  type Release,
} from '../domain/endpoint-state.js';
import {
  appliesOnceRetired,
  askAgainRelease,
  holdIsFull,
  newEndpointState,
  listedState,
  nextReleaseBatch,
  transitionEndpoint,
  withoutOldestNotice,
  type EndpointMessage,
} from '../domain/endpoint-transitions.js';
import { definitionProblem } from '../domain/definition-check.js';
import { createHeldDeliveries } from '../domain/held-deliveries.js';
import {
  createDeliveryLine,
  createLineRefusals,
  joinIsRefused,
  lineFullReason,
  type FifoLine,
  type RecordedChanges,
  type RefusedByLine,
} from '../domain/fifo-line.js';
import { NO_SEND_SLOTS, reserveSendSlot, type SendSlots } from '../domain/send-slots.js';
import { endpointChangesWorkflowId } from '../domain/workflow-ids.js';
import {
  autoDisableSignal,
  configureUpdate,
  type ConfigureRequest,
  healthSignal,
  disableSignal,
  enableSignal,
  endpointChangedSignal,
  holdSignal,
  pauseSignal,
  releaseSignal,
  joinLineSignal,
  leaveLineSignal,
  lineQuery,
  reserveSendSlotUpdate,
  resumeSignal,
  retireUpdate,
  stateQuery,
  turnSignal,
  type Turn,
} from './messages.js';
import { type HandlerRegistration, queryHandling, setHandlers, signalHandling, updateHandling } from './arrival-order.js';
import { endpointStatusKey } from './search-attributes.js';

/** Input of {@link webhookEndpoint}: a new endpoint's definition, or the whole state when continuing as new. */
export interface EndpointWorkflowInput {
  readonly endpoint: Endpoint;
  readonly source: EndpointSource;
  readonly state?: EndpointState;
  /** Continue as new after this many history events even if Temporal does not suggest it yet (tests use it). */
  readonly historyLimit?: number;
  readonly settings?: EndpointSettings;
  /** The rate limit's recent grants and next ticket, carried across continue-as-new. */
  readonly sendSlots?: SendSlots;
  /** The line of an endpoint with `ordering: fifo`, carried across continue-as-new. */
  readonly line?: FifoLine;
  /** Set when a deleted endpoint's entity continues as new to send its held deliveries away: the run ends once done. */
  readonly retiring?: boolean;
  /** Deliveries turned away past the bound of held ones and not told yet, carried across continue-as-new. */
  readonly turnedAway?: readonly string[];
  /** Deliveries a full line refused, to tell or remembered (told, or not there yet), carried across continue-as-new. */
  readonly refusedByLine?: RefusedByLine;
}

const { publishOperationalEvent, lineDeliveryState } = proxyActivities<OperationalActivities>({ startToCloseTimeout: '1 minute' });

const DEFAULT_HISTORY_LIMIT = 10_000;
/** Entities announce their changes to their task queue's change log from this patch on (runs before it did not). */
const ANNOUNCE_CHANGES_PATCH = 'announce-endpoint-changes';
/**
 * From this patch on, signals to many deliveries at once go out in chunks, each awaited before the next: Temporal fails
 * a workflow task that would leave more than 2,000 of a workflow's signals pending (`limit.numPendingSignals.error`),
 * and every retry of it alike, so a disable cancelling a long line, or a resume at a high `resume_rate`, would have
 * stopped the entity for good.
 */
const CHUNKED_SIGNALS_PATCH = 'chunked-signals';
const SIGNALS_PER_CHUNK = 500;
/**
 * From this patch on, releasing held deliveries stops for continue-as-new when history grows long, the rest carried
 * in the state; before it, a long release kept one run going until Temporal's history limit ended it.
 */
const CONTINUE_WHILE_RELEASING_PATCH = 'continue-as-new-while-releasing';
/**
 * From this patch on, a retiring entity also continues as new when its history grows long, `retiring` in its input,
 * and takes nothing but holds meanwhile; before it, a deleted endpoint with tens of thousands held sent them all away
 * in one run, past Temporal's history limit, which would have terminated the entity with deliveries still waiting for
 * a release, and an enable sent to it by hand released them to be sent.
 */
const CONTINUE_WHILE_RETIRING_PATCH = 'continue-as-new-while-retiring';
/**
 * From this patch on, a paused endpoint's entity holds at most `maxHeldDeliveries`, and tells the deliveries past it
 * to ask again later: each held id goes into the next run's input, and past Temporal's 2 MB payload limit the entity
 * could not continue as new, nor take a resume. Asked only past the bound, where no stored history went.
 */
const BOUNDED_HOLD_PATCH = 'turn-away-holds-past-the-bound';
/**
 * From this patch on, what the line heard while the entity waited to tell a turn, or for a look at the delivery in
 * flight, is kept. Before it, the wait's result was applied to the line as it was before the wait: a delivery that
 * joined meanwhile (by the API and by itself, both within the wait) was lost from the line, and waited for its turn
 * for ever; one that left meanwhile was put back, and the line stalled until the next look. Asked after such a wait
 * only.
 */
const KEEP_LINE_CHANGES_PATCH = 'keep-line-changes-across-waits';
/**
 * From this patch on, a FIFO line holds at most `maxLineLength` waiting, and cancels the deliveries past it: the line
 * goes into each next run's input, and past Temporal's 2 MB payload limit the entity could not continue as new. Asked
 * only past the bound, where no stored history went.
 */
const BOUNDED_LINE_PATCH = 'refuse-joins-past-the-line-bound';
/**
 * From this patch on, signals that came before a run's first task run in the order Temporal accepted them, before
 * the updates that came with them. Before it, they ran in the order their handlers were set: a pause sent after a
 * resume, both landing in a new run's first task, ran first and the endpoint ended up resumed; a delivery leaving a
 * full line and another joining it ran the join first, which the line refused. Asked at the start of every run.
 */
const SIGNALS_IN_ARRIVAL_ORDER_PATCH = 'early-signals-in-arrival-order';

/**
 * One long-lived entity per endpoint, the source of truth for its definition and status. Operators steer it with
 * plain signals (`temporal workflow signal --workflow-id endpoint/<id> --name pause`); it keeps its history small by
 * continuing as new with its state. Its rules are `transitionEndpoint`'s; this function only applies them.
 */
export async function webhookEndpoint(input: EndpointWorkflowInput): Promise<void> {
  const { heldDeliveries: heldBefore, ...initial } =
    input.state ?? newEndpointState(input.endpoint, input.source, input.settings ?? DEFAULT_ENDPOINT_SETTINGS, new Date());
  let state: EndpointCore = initial;
  // Kept apart from the state, which the rules copy at every change: there may be tens of thousands.
  const held = createHeldDeliveries(heldBefore);
  const fullState = (): EndpointState => ({ ...state, heldDeliveries: held.toArray() });
  let retired = input.retiring === true;
  // A run continued as new retiring by a release before states said `deleted` says it now: the API and routing read it.
  if (retired && !state.deleted) state = { ...state, deleted: true };
  // A deletion from the retiring patch on: the entity continues as new while it sends its held deliveries away, and
  // takes nothing but holds meanwhile. Asked in the retire handler, where the deletion happens (a later ask would move
  // the patch's marker); a run that is already retiring is from the patch on.
  let deletedForGood = retired;
  // Set by a retire from the retiring patch on, until the loop has let the update's answer go out first.
  let retireAnswerPending = false;
  const updateVisibility = createVisibilityUpdater();
  const apply = (message: EndpointMessage, shown: { readonly retired?: boolean } = {}): void => {
    // A deleted endpoint stays deleted, from the retiring patch on (before it, an enable could undo a delete).
    if (deletedForGood && !appliesOnceRetired(message)) return;
    state = transitionEndpoint(state, message, new Date());
    updateVisibility(state, shown);
  };
  // Taken from a deleted endpoint's deliveries too: they are sent away with the rest. Shown as any change was (a hold
  // changes nothing shown): the first activation's holds show the entity, in the order stored histories have it.
  const hold = (deliveryWorkflowId: string): void => {
    held.add(deliveryWorkflowId);
    updateVisibility(state);
  };

  // Appended to in place: thousands may be turned away in one activation.
  let turnedAway: string[] = [...(input.turnedAway ?? [])];
  let sendSlots = input.sendSlots ?? NO_SEND_SLOTS;
  // Kept apart from the state as the held deliveries are, for the same reason: a line may be tens of thousands long.
  const line = createDeliveryLine(input.line);
  const maxLineLength = (): number => state.settings.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const refusals = createLineRefusals(input.refusedByLine);

  // In the order they were set since the first release: before SIGNALS_IN_ARRIVAL_ORDER_PATCH, signals that came
  // before the first task ran as each handler was set, and the commands they caused must come in the order stored
  // histories have them.
  const handlers: readonly HandlerRegistration[] = [
    signalHandling(pauseSignal, (reason?: string) => apply({ type: 'pause', ...(reason === undefined ? {} : { reason }) })),
    signalHandling(resumeSignal, () => apply({ type: 'resume' })),
    signalHandling(disableSignal, (reason?: string) => apply({ type: 'disable', ...(reason === undefined ? {} : { reason }) })),
    signalHandling(autoDisableSignal, (reason) => apply({ type: 'autoDisable', reason })),
    signalHandling(healthSignal, (report) => apply({ type: 'health', report })),
    signalHandling(enableSignal, () => apply({ type: 'enable' })),
    updateHandling(
      configureUpdate,
      ({ definition, settings }) => {
        apply({ type: 'configure', definition, ...(settings ? { settings } : {}) });
        return fullState();
      },
      {
        validator: ({ definition }: ConfigureRequest) => {
          // Validators do not run on replay: refusing here changes no stored history.
          if (deletedForGood) throw new Error(`endpoint ${state.endpoint.id} is deleted`);
          const problem = definitionProblem(state.endpoint.id, definition);
          if (problem) throw new Error(problem);
        },
      },
    ),
    updateHandling(retireUpdate, () => {
      retired = true;
      deletedForGood ||= patched(CONTINUE_WHILE_RETIRING_PATCH);
      retireAnswerPending = deletedForGood;
      apply({ type: 'retire' }, { retired });
      return fullState();
    }),
    signalHandling(holdSignal, (deliveryWorkflowId) => {
      if (holdIsFull(state, held, deliveryWorkflowId) && patched(BOUNDED_HOLD_PATCH)) turnedAway.push(deliveryWorkflowId);
      else hold(deliveryWorkflowId);
    }),
    queryHandling(stateQuery, fullState),
    updateHandling(reserveSendSlotUpdate, ({ ticket, queue }) => {
      const limit = state.endpoint.rate_limit;
      if (!limit) return { granted: true };
      const reserved = reserveSendSlot(
        sendSlots,
        { requests: limit.requests, perMs: limit.per },
        Date.now(),
        ticket,
        queue === false ? { queue } : {},
      );
      sendSlots = reserved.slots;
      return reserved.answer;
    }),
    queryHandling(lineQuery, () => line.toData()),
    signalHandling(joinLineSignal, (entry) => {
      const now = Date.now();
      if (!joinIsRefused(line, maxLineLength(), entry.workflowId, refusals.has(entry.workflowId, now)) || !patched(BOUNDED_LINE_PATCH)) {
        line.join(entry);
        return;
      }
      refusals.refuse(entry.workflowId, now);
    }),
    signalHandling(leaveLineSignal, ({ workflowId, eventId, failed }) => {
      line.leave(workflowId);
      if (failed && state.endpoint.fifo_on_failure === 'block') {
        apply({ type: 'pause', reason: `ordering: the delivery of event ${eventId} failed for good; resume to go on with the next event` });
      }
    }),
  ];
  setHandlers(handlers, { signalsInArrivalOrder: patched(SIGNALS_IN_ARRIVAL_ORDER_PATCH) });
  // A retiring run announces the deletion again: a process that started reading the log meanwhile hears of it too.
  updateVisibility(state, { retired: input.retiring === true });

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const shouldContinueAsNew = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;
  // The line moves only while the endpoint is active and has no held delivery to release first (a redelivery held by a
  // pause goes before the line when resumed); a disabled endpoint sends everyone waiting away.
  const lineMoves = (): boolean => state.status === 'active' && held.size === 0 && line.turnCanBeGiven();
  // The line goes on changing while the entity waits for a signal to go out or an activity: a wait's result is applied
  // to the line as it is once the wait is over; before KEEP_LINE_CHANGES_PATCH, to the line as it was before the wait.
  const lineAfterWait = (changes: RecordedChanges): void => (patched(KEEP_LINE_CHANGES_PATCH) ? changes.keep() : changes.undo());
  const lineCancels = (): boolean => state.status === 'disabled' && line.waitingCount > 0;
  let continueRetiring = false;
  let toldTurnedAway = false;
  // A run started retiring sends a batch away before it may continue as new again: with a state too large for the
  // server's suggestion, or a tiny history limit, it would otherwise go from run to run without progress.
  let progressed = input.retiring !== true;
  const mayRetireInNextRun = (): boolean => deletedForGood && progressed;
  // Holding and releasing happen here, in one place: whatever the order of pause, resume and hold signals, a held
  // delivery stays in the list until the endpoint is no longer paused, and then it is released, never forgotten.
  for (;;) {
    for (;;) {
      const wake = (): boolean =>
        state.pendingNotices.length > 0 ||
        turnedAway.length > 0 ||
        refusals.toTellCount > 0 ||
        line.turn === 'resend' ||
        (state.status !== 'paused' && held.size > 0) ||
        retired ||
        shouldContinueAsNew() ||
        lineMoves() ||
        lineCancels();
      // A delivery that has the turn is looked in on now and then: one terminated by hand would never leave. Only a
      // line has a delivery in flight, so stored histories wait as they did, without a timer.
      const checkAt = line.nextCheckAt();
      const woke = checkAt === undefined ? await condition(wake) : await condition(wake, Math.max(1, checkAt - Date.now()));
      // A retire's answer goes before the releases it sets off, as recorded without the SDK's workflow spans: with
      // them, its handler ends a few microtasks later, after this loop's first signals. Once per retire, at the loop's
      // next wake, and only from its patch on: waiting after other handlers would move this loop's commands behind a
      // change-log announcement that stored histories have after them.
      if (retireAnswerPending) {
        retireAnswerPending = false;
        await condition(allHandlersFinished);
      }
      const [notice] = state.pendingNotices;
      if (notice) {
        await publishOperationalEvent(notice);
        state = withoutOldestNotice(state);
        continue;
      }
      // Past its history limit the run ends first, the list carried: deliveries asking again all the time would
      // otherwise keep it here. Only once it told some (a run started past its limit would go on to the next without
      // telling any), and not once deleted: the endpoint is no longer paused, and they are held right below.
      if (turnedAway.length > 0 && toldTurnedAway && !retired && shouldContinueAsNew()) break;
      if (turnedAway.length > 0) {
        const told = turnedAway;
        turnedAway = [];
        toldTurnedAway = true;
        // Resumed (or disabled) before they were told: held after all, and released with the rest.
        if (state.status !== 'paused') for (const deliveryWorkflowId of told) hold(deliveryWorkflowId);
        else {
          const askAgain = askAgainRelease(state);
          await signalEach(told, (workflowId) => sendRelease(workflowId, askAgain));
        }
        continue;
      }
      if (refusals.toTellCount > 0) {
        const refusing = refusals.takeToTell();
        const turn = { endpointId: state.endpoint.id, cancelledReason: lineFullReason(state.endpoint.id, maxLineLength()) };
        // Told, it ends cancelled; not there yet, it is told once it joins itself (see createLineRefusals).
        await signalEach(refusing, async (workflowId) => {
          refusals.tellingEnded(workflowId, await sendTurn(workflowId, turn), Date.now());
        });
        continue;
      }
      const { inFlight } = line;
      if (inFlight && line.turn === 'resend') {
        const changes = line.recordChanges();
        const told = await sendTurn(inFlight.workflowId, { endpointId: state.endpoint.id });
        lineAfterWait(changes);
        line.turnTold(inFlight.workflowId, told);
        continue;
      }
      if (!woke && inFlight) {
        const changes = line.recordChanges();
        const found = await lineDeliveryState(inFlight.workflowId);
        lineAfterWait(changes);
        if (line.afterCheck(found, Date.now())) {
          const changesWhileTelling = line.recordChanges();
          const told = await sendTurn(inFlight.workflowId, { endpointId: state.endpoint.id });
          lineAfterWait(changesWhileTelling);
          line.turnTold(inFlight.workflowId, told);
        }
        continue;
      }
      if (lineCancels()) {
        const cancelled = line.sendWaitingAway();
        const turn = { endpointId: state.endpoint.id, cancelledReason: `endpoint disabled (${state.statusReason ?? 'no reason given'})` };
        await signalEach(
          cancelled.map((entry) => entry.workflowId),
          (workflowId) => sendTurn(workflowId, turn),
        );
        continue;
      }
      const turn = lineMoves() ? line.takeTurn(Date.now()) : undefined;
      if (turn) {
        // Not told when its workflow is not there yet (the API puts a delivery in line before starting it): it is told
        // when it joins itself, or found ended by a later look and taken out of the line.
        if (!(await sendTurn(turn.workflowId, { endpointId: state.endpoint.id }))) line.turnTold(turn.workflowId, false);
        continue;
      }
      const released = nextReleaseBatch(state, held);
      // Nothing to release and no end of the run: the loop woke for its line.
      if (!released && !retired && !shouldContinueAsNew()) continue;
      if (!released) break;
      // Any entity goes on releasing in its next run; a retiring one only from its patch on, before which it released
      // everything before it ended.
      if ((!retired || mayRetireInNextRun()) && shouldContinueAsNew() && patched(CONTINUE_WHILE_RELEASING_PATCH)) break;
      held.drop(released.batch.length);
      await signalEach(released.batch, (workflowId) => sendRelease(workflowId, released.release));
      progressed = true;
      if (held.size > 0) await sleep(1_000);
    }
    // Handlers still running would be cut off by continue-as-new; the state carries over as plain JSON. A signal
    // still on its way to the change log would be lost when the run closes, so it is awaited too.
    await condition(allHandlersFinished);
    await updateVisibility.announced();
    // A retire that came while the run was ending (after a break for continue-as-new) finds deliveries still held or
    // in line: they are sent away before the entity ends, never left waiting for a release that would not come; in
    // this run, or, once its history is long, in a next one that is retiring from the start.
    const leftBehind = held.size > 0 || line.waitingCount > 0 || turnedAway.length > 0 || refusals.toTellCount > 0;
    continueRetiring = retired && leftBehind && mayRetireInNextRun() && shouldContinueAsNew();
    if (retired && leftBehind && !continueRetiring && patched(CONTINUE_WHILE_RELEASING_PATCH)) continue;
    break;
  }
  if (retired) {
    if (!continueRetiring) return;
    // A retire that came while the run was ending is answered before the run closes (its handler may end a few
    // microtasks late, with the SDK's workflow spans), not lost with it.
    await condition(allHandlersFinished);
  }
  // The refusals go along: a refused delivery's own join, in the next run, is refused (and told) as it would be here.
  const refusedByLine = refusals.carried(Date.now());
  // The slots go along while the endpoint has a limit: a new run without them would let a second burst through.
  const { sendSlots: _slots, line: _line, retiring: _retiring, turnedAway: _turnedAway, refusedByLine: _refusedByLine, ...carried } = input;
  await continueAsNew<typeof webhookEndpoint>({
    ...carried,
    state: fullState(),
    ...(continueRetiring ? { retiring: true } : {}),
    ...(state.endpoint.rate_limit ? { sendSlots } : {}),
    ...(line.inFlight || line.waitingCount > 0 ? { line: line.toData() } : {}),
    ...(turnedAway.length > 0 ? { turnedAway } : {}),
    ...(refusedByLine ? { refusedByLine } : {}),
  });
}

/**
 * Shows the entity: its status as a search attribute (for queries), its listed state as the memo (for listings), each
 * written only when it changed and the attribute before the memo, as stored histories have them; and, when what
 * routing needs of it changed, announces it to the task queue's change log, which every API and worker process
 * follows.
 */
function createVisibilityUpdater(): VisibilityUpdater {
  let shownStatus: EndpointStatus | undefined;
  let shownMemo: string | undefined;
  let announcedView: string | undefined;
  let announced: Promise<void> = Promise.resolve();
  const update = (state: EndpointCore, { retired = false } = {}): void => {
    if (state.status !== shownStatus) {
      shownStatus = state.status;
      upsertSearchAttributes([{ key: endpointStatusKey, value: state.status }]);
    }
    const listed = listedState(state);
    const memo = JSON.stringify(listed);
    if (memo !== shownMemo) {
      shownMemo = memo;
      upsertMemo({ [ENDPOINT_STATE_MEMO]: listed });
    }
    // Patched at the point of change: a run that announced nothing before this release replays without announcing.
    const view = routingView(listed);
    if ((view !== announcedView || retired) && patched(ANNOUNCE_CHANGES_PATCH)) {
      announcedView = view;
      // One at a time, so that the log has them in the order they happened.
      const change: EndpointChange = retired ? { state: listed, retired } : { state: listed };
      announced = announced.then(() => announce(change));
    }
  };
  return Object.assign(update, { announced: () => announced });
}

/** Updates what the entity shows; `announced()` settles once the last change has reached the change log. */
type VisibilityUpdater = ((state: EndpointCore, options?: { readonly retired?: boolean }) => void) & {
  readonly announced: () => Promise<void>;
};

/**
 * Signals the change log, best effort: a process that misses a change (the log was not running) read every entity
 * when it started, and reads them all again whenever it has to start following the log anew.
 */
function announce(change: EndpointChange): Promise<void> {
  return getExternalWorkflowHandle(endpointChangesWorkflowId(workflowInfo().taskQueue))
    .signal(endpointChangedSignal, change)
    .catch(() => undefined);
}

/**
 * Sends one signal to each of `workflowIds`, at most {@link SIGNALS_PER_CHUNK} pending at a time (runs from its patch
 * on). Not async itself: a batch that fits in one chunk is the very `Promise.all` awaited before, with no microtask
 * step more, so that the commands after it come in the order stored histories have them.
 */
function signalEach(workflowIds: readonly string[], send: (workflowId: string) => Promise<unknown>): Promise<unknown> {
  if (workflowIds.length <= SIGNALS_PER_CHUNK || !patched(CHUNKED_SIGNALS_PATCH)) return Promise.all(workflowIds.map(send));
  return signalInChunks(workflowIds, send);
}

async function signalInChunks(workflowIds: readonly string[], send: (workflowId: string) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < workflowIds.length; start += SIGNALS_PER_CHUNK) {
    await Promise.all(workflowIds.slice(start, start + SIGNALS_PER_CHUNK).map(send));
  }
}

/** Tells a delivery in line its turn has come (or will not); false when its workflow is not running (not yet, or no longer). */
async function sendTurn(deliveryWorkflowId: string, turn: Turn): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(deliveryWorkflowId).signal(turnSignal, turn);
    return true;
  } catch {
    return false;
  }
}

async function sendRelease(deliveryWorkflowId: string, release: Release): Promise<void> {
  try {
    await getExternalWorkflowHandle(deliveryWorkflowId).signal(releaseSignal, release);
  } catch {
    // The delivery has ended meanwhile (terminated, or its retention passed): nothing is waiting any more.
  }
}

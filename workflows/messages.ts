import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryReport } from '../domain/delivery.js';
import type { Endpoint } from '../domain/endpoint.js';
import type { EndpointChange, EndpointSettings, EndpointState, HealthReport, Release } from '../domain/endpoint-state.js';
import type { FifoLine, LineEntry } from '../domain/fifo-line.js';
import type { SlotAnswer } from '../domain/send-slots.js';
import type { SourceBook, SourceDefinition } from '../domain/source-book.js';

// Every signal, query and update of the project's workflows, in one place: the two workflows message each other.

/** Where every endpoint's delivery of the event stands, with all attempts so far. */
export const deliveriesQuery = defineQuery<DeliveryReport>('deliveries');
/** Sent by an endpoint entity to a held delivery when it may go on, or must stop. */
export const releaseSignal = defineSignal<[Release]>('release');

/** Stops new attempts to the endpoint; deliveries for it are held until `resume`. Works with no worker running. */
export const pauseSignal = defineSignal<[reason?: string]>('pause');
/** Lets held and new deliveries to the endpoint go again. */
export const resumeSignal = defineSignal('resume');
/** Routes the endpoint no more events; its held and pending deliveries end as cancelled. */
export const disableSignal = defineSignal<[reason?: string]>('disable');
/** Routes events to the endpoint again. */
export const enableSignal = defineSignal('enable');
/** Sent by a delivery that found the endpoint paused: the entity releases it on resume (at once if already resumed). */
export const holdSignal = defineSignal<[deliveryWorkflowId: string]>('hold');
/** Replaces the endpoint's definition (and settings); the validator refuses an invalid one before it reaches history. */
export const configureUpdate = defineUpdate<EndpointState, [ConfigureRequest]>('configure');

/** A new definition for an endpoint, and settings if they change too. */
export interface ConfigureRequest {
  readonly definition: Endpoint;
  readonly settings?: EndpointSettings;
}
/** Disables the endpoint because of what it did (410 Gone), and announces it with an `endpoint.disabled` event. */
export const autoDisableSignal = defineSignal<[reason: string]>('autoDisable');
/** A worker's batch of attempt outcomes for the endpoint, every few seconds while it delivers to it. */
export const healthSignal = defineSignal<[HealthReport]>('health');
/** Ends the entity of an endpoint managed through the API: its held deliveries are cancelled, its history kept. */
export const retireUpdate = defineUpdate<EndpointState>('retire');
/**
 * Asked by an attempt to a rate-limited endpoint just before it sends: granted, or refused with the time to ask again
 * (and present as the ticket). The entity applies its endpoint's limit as it is now; without one, it grants.
 */
export const reserveSendSlotUpdate = defineUpdate<SlotAnswer, [SlotRequest]>('reserveSendSlot');

/** A request for a send slot: the ticket of the last refusal, if any. */
export interface SlotRequest {
  readonly ticket?: number;
  /** false: a request that will not wait if refused (it takes no ticket). */
  readonly queue?: boolean;
}

/** Sent by a delivery to an endpoint with `ordering: fifo` before its first attempt: it waits in line for `turn`. */
export const joinLineSignal = defineSignal<[LineEntry]>('joinLine');
/** Sent by the entity to the delivery whose turn it is (or, with `cancelledReason`, that must stop waiting). */
export const turnSignal = defineSignal<[Turn]>('turn');
/** Sent by a delivery in line when it is done: the next may go, unless `failed` blocks the line. */
export const leaveLineSignal = defineSignal<[LeaveLine]>('leaveLine');

/** A delivery's turn in its endpoint's line, or word that it will never come. */
export interface Turn {
  readonly endpointId: string;
  readonly cancelledReason?: string;
}

/** A delivery leaving its endpoint's line, and whether it failed for good. */
export interface LeaveLine {
  readonly workflowId: string;
  readonly eventId: string;
  readonly failed: boolean;
}

/** The endpoint's definition, status and held deliveries. */
export const stateQuery = defineQuery<EndpointState>('state');
/** The line of an endpoint with `ordering: fifo`: the delivery that has the turn, and those waiting behind it. */
export const lineQuery = defineQuery<FifoLine>('line');
/**
 * Sent by an endpoint entity to its task queue's change log when what routing needs of it changed: every API and
 * worker process follows the log and routes by it at once.
 */
export const endpointChangedSignal = defineSignal<[EndpointChange]>('endpointChanged');

/** Adds a source made through the API; refused (before history) when its id is taken or was a deleted source's. */
export const createSourceUpdate = defineUpdate<SourceBook, [SourceDefinition]>('createSource');
/** Replaces an API source's definition; refused for a config source or an unknown id. */
export const changeSourceUpdate = defineUpdate<SourceBook, [SourceDefinition]>('changeSource');
/** Gives an API source with a generated secret its next secret. */
export const rotateSourceSecretUpdate = defineUpdate<SourceBook, [sourceId: string]>('rotateSourceSecret');
/** Deletes a source for good: its URL answers 404 and its id is never given out again. */
export const deleteSourceUpdate = defineUpdate<SourceBook, [sourceId: string]>('deleteSource');
/** The config file's sources, as a process read them: added or made as the file says, dropped ones disabled. */
export const reconcileSourcesUpdate = defineUpdate<SourceBook, [readonly SourceDefinition[]]>('reconcileSources');
/** Every source and every deleted id. */
export const sourcesQuery = defineQuery<SourceBook>('sources');

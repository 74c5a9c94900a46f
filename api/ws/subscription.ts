import { z } from 'zod';
import type { LiveEvent } from '../live-feed.js';

export const EventType = { AGENT_QUEUE_MESSAGE: 'agent_queue_message', ERROR: 'error' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
const EVENT_TYPES = Object.values(EventType) as [EventType, ...EventType[]];

const MAX_FILTER_ITEMS = 1_000;
const item = z.string().min(1).max(256);

/** What a client asked for; an empty list means "everything". */
export interface Subscription {
  trace_ids: string[];
  agent_names: string[];
  event_types: EventType[];
}

export const EMPTY_SUBSCRIPTION: Subscription = { trace_ids: [], agent_names: [], event_types: [] };

/** Client → server frames of the contract's protocol. */
export const ClientFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    trace_ids: z.array(item).max(MAX_FILTER_ITEMS).optional(),
    agent_names: z.array(item).max(MAX_FILTER_ITEMS).optional(),
    event_types: z
      .array(z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }))
      .max(EVENT_TYPES.length * 2)
      .optional(),
  }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/**
 * Whether a live record passes a subscription. Queue messages match an agent filter by their sender
 * or their receiver (the old service dropped them: it compared a field they do not have), errors by
 * the agent that reported them; trace filters compare the record's trace id.
 */
export function matches(subscription: Subscription, event: LiveEvent): boolean {
  const type = event.kind === 'message' ? EventType.AGENT_QUEUE_MESSAGE : EventType.ERROR;
  if (subscription.event_types.length > 0 && !subscription.event_types.includes(type)) return false;
  const traceId = event.value.trace_id;
  if (subscription.trace_ids.length > 0 && (traceId === null || !subscription.trace_ids.includes(traceId))) {
    return false;
  }
  if (subscription.agent_names.length === 0) return true;
  return event.kind === 'message'
    ? subscription.agent_names.includes(event.value.source_agent) ||
        subscription.agent_names.includes(event.value.target_agent)
    : subscription.agent_names.includes(event.value.agent_name);
}

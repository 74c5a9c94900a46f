/**
 * The times the system stores and shows for a record, from the sender's own timestamps, which come
 * from clocks the system does not control. Shared by the processors (what is stored) and the API's
 * live feed (what is shown before it is stored), so both show the same time.
 */

/** 2000-01-01: no agent message or error is older. */
export const EARLIEST_PLAUSIBLE_MS = 946_684_800_000;
/** How far ahead of its observation a sender's clock may run before its timestamp is not trusted. */
const LATEST_PLAUSIBLE_AHEAD_MS = 86_400_000;
/** The latest instant a JavaScript `Date` can hold (year 275760). */
const LATEST_DATE_MS = 8_640_000_000_000_000;

/**
 * The time a record is stored under: its own timestamp when that can be right (from 2000 up to a
 * day after `referenceMs`, when Kafka recorded it), else the reference time. A clock bug or seconds
 * sent as milliseconds would date the record decades away and scatter a batch over more monthly
 * partitions than one insert may touch; the sender's value is kept in a column of its own
 * (migration 0007).
 */
export function plausibleTime(
  timestampMs: number,
  referenceMs: number,
): { atMs: number; originalMs: number } {
  const plausible =
    Number.isFinite(timestampMs) &&
    timestampMs >= EARLIEST_PLAUSIBLE_MS &&
    timestampMs <= referenceMs + LATEST_PLAUSIBLE_AHEAD_MS;
  return plausible
    ? { atMs: timestampMs, originalMs: 0 }
    : { atMs: referenceMs, originalMs: Math.max(0, Math.trunc(timestampMs)) };
}

/**
 * The reference a sender's timestamp is checked against: the Kafka record's timestamp (when the
 * producer or broker recorded it, the same when the topic is replayed) when that can be right,
 * else the time the record was read. A record timestamp that is unset (-1) is no reference.
 */
export function recordReferenceTime(recordTimestampMs: number, observedAtMs: number): number {
  return plausibleTime(recordTimestampMs, observedAtMs).atMs;
}

/**
 * A sender-given instant (a deadline) as a `Date`, or undefined when it is absent (0 or less) or
 * beyond what a `Date` can hold, so that showing it never fails.
 */
export function senderDate(ms: number): Date | undefined {
  return Number.isFinite(ms) && ms > 0 && ms <= LATEST_DATE_MS ? new Date(ms) : undefined;
}

/**
 * The time a record read from Kafka is stored under (and shown under before it is stored): the
 * sender's timestamp checked against the record's reference time.
 */
export function storedTime(senderMs: number, recordTimestampMs: number, observedAtMs: number): number {
  return plausibleTime(senderMs, recordReferenceTime(recordTimestampMs, observedAtMs)).atMs;
}

import { describe, expect, it } from 'vitest';
import { plausibleTime, recordReferenceTime, senderDate } from './times.js';

describe('timestamps a sender clock cannot have meant', () => {
  const observedAtMs = 1_796_000_000_000;

  it('keep a plausible timestamp, and store the observed time for one before 2000 or over a day ahead', () => {
    expect(plausibleTime(observedAtMs - 5_000, observedAtMs)).toEqual({
      atMs: observedAtMs - 5_000,
      originalMs: 0,
    });
    expect(plausibleTime(1_796_000_000, observedAtMs)).toEqual({
      atMs: observedAtMs,
      originalMs: 1_796_000_000,
    });
    const ahead = observedAtMs + 2 * 86_400_000;
    expect(plausibleTime(ahead, observedAtMs)).toEqual({ atMs: observedAtMs, originalMs: ahead });
    expect(plausibleTime(observedAtMs + 3_600_000, observedAtMs).originalMs).toBe(0);
    expect(plausibleTime(Number.NaN, observedAtMs).atMs).toBe(observedAtMs);
  });

  it('check against the Kafka record time, unless that is unset or itself implausible', () => {
    expect(recordReferenceTime(observedAtMs - 60_000, observedAtMs)).toBe(observedAtMs - 60_000);
    expect(recordReferenceTime(-1, observedAtMs)).toBe(observedAtMs);
    expect(recordReferenceTime(observedAtMs + 5 * 86_400_000, observedAtMs)).toBe(observedAtMs);
  });

  it('show a deadline only when a Date can hold it', () => {
    expect(senderDate(observedAtMs)?.toISOString()).toBe('2026-11-30T00:53:20.000Z');
    expect(senderDate(0)).toBeUndefined();
    expect(senderDate(-5)).toBeUndefined();
    expect(senderDate(1e18)).toBeUndefined();
    expect(senderDate(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

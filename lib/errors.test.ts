import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../schemas/codec-errors.js';
import { clickHouseErrorCode, toClickHouseTelemetryError } from './clickhouse.js';
import { ErrorCode, TelemetryError, isRetryableCode, toTelemetryError } from './errors.js';

describe('error taxonomy', () => {
  it('marks only outages and timeouts retryable', () => {
    expect(isRetryableCode(ErrorCode.CLICKHOUSE_UNAVAILABLE)).toBe(true);
    expect(isRetryableCode(ErrorCode.KAFKA_UNAVAILABLE)).toBe(true);
    expect(isRetryableCode(ErrorCode.DECODE_TRUNCATED)).toBe(false);
    expect(isRetryableCode(ErrorCode.CONFIG_INVALID)).toBe(false);
  });

  it('maps codec errors by code and keeps their retryability', () => {
    const truncated = toTelemetryError(new CodecError('TRUNCATED', 'short'));
    expect(truncated.code).toBe(ErrorCode.DECODE_TRUNCATED);
    expect(truncated.retryable).toBe(false);
    const outage = toTelemetryError(new CodecError('REGISTRY_UNAVAILABLE', 'down'));
    expect(outage.code).toBe(ErrorCode.REGISTRY_UNAVAILABLE);
    expect(outage.retryable).toBe(true);
  });

  it('wraps unknown errors as INTERNAL with the cause kept', () => {
    const cause = new Error('boom');
    const wrapped = toTelemetryError(cause);
    expect(wrapped.code).toBe(ErrorCode.INTERNAL);
    expect(wrapped.cause).toBe(cause);
    expect(toTelemetryError(wrapped)).toBe(wrapped);
  });
});

describe('ClickHouse error classification', () => {
  it('classifies by server error code, not message', () => {
    const tooManyParts = new ClickHouseError({
      message: 'whatever text',
      code: '252',
      type: 'TOO_MANY_PARTS',
    });
    expect(toClickHouseTelemetryError(tooManyParts, 'insert').code).toBe(ErrorCode.CLICKHOUSE_UNAVAILABLE);
    const syntax = new ClickHouseError({
      message: 'timeout mentioned but a syntax error',
      code: '62',
      type: 'SYNTAX_ERROR',
    });
    const classified = toClickHouseTelemetryError(syntax, 'query');
    expect(classified.code).toBe(ErrorCode.CLICKHOUSE_QUERY_FAILED);
    expect(classified.retryable).toBe(false);
    expect(classified.details).toMatchObject({ clickhouseCode: '62' });
    const readOnlyUser = new ClickHouseError({ message: 'readonly mode', code: '164', type: 'READONLY' });
    expect(toClickHouseTelemetryError(readOnlyUser, 'insert').retryable).toBe(false);
  });

  it('reads the code from the error bodies of both server generations, as the client hands them on', () => {
    // 18.16: the client cannot parse this body and throws a plain Error with it as the message
    const legacy = new Error(
      'Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded: would use 12.00 MiB, e.what() = DB::Exception\n',
    );
    expect(clickHouseErrorCode(legacy)).toBe('241');
    const classified = toClickHouseTelemetryError(legacy, 'query');
    expect(classified.code).toBe(ErrorCode.CLICKHOUSE_UNAVAILABLE);
    expect(classified.details).toMatchObject({ clickhouseCode: '241' });
    const readOnly = new Error(
      'Code: 164, e.displayText() = DB::Exception: Cannot execute query in readonly mode',
    );
    expect(toClickHouseTelemetryError(readOnly, 'insert').retryable).toBe(false);
    // current releases: the client parses it into a ClickHouseError
    const current = new ClickHouseError({ message: 'Limit for result exceeded', code: '396', type: 'X' });
    expect(clickHouseErrorCode(new Error('wrapped', { cause: current }))).toBe('396');
    // not the server's: a message that merely quotes a code
    expect(clickHouseErrorCode(new Error('client said Code: 241, e.displayText() = x'))).toBeUndefined();
  });

  it('classifies refused and reset connections as an outage, also when nested as a cause', () => {
    const refused = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
    expect(toClickHouseTelemetryError(refused, 'insert').retryable).toBe(true);
    const nested = new Error('request failed', {
      cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }),
    });
    expect(toClickHouseTelemetryError(nested, 'insert').code).toBe(ErrorCode.CLICKHOUSE_UNAVAILABLE);
    expect(toClickHouseTelemetryError(new TypeError('bad'), 'insert').code).toBe(
      ErrorCode.CLICKHOUSE_QUERY_FAILED,
    );
  });

  it("classifies the client's request timeout as an outage", () => {
    // as @clickhouse/client's socket pool throws it when request_timeout passes
    const timedOut = toClickHouseTelemetryError(new Error('Timeout error.'), 'query');
    expect(timedOut.code).toBe(ErrorCode.CLICKHOUSE_UNAVAILABLE);
    expect(timedOut.retryable).toBe(true);
  });

  it('passes TelemetryErrors through', () => {
    const error = new TelemetryError(ErrorCode.TIMEOUT, 'late');
    expect(toClickHouseTelemetryError(error, 'x')).toBe(error);
  });
});

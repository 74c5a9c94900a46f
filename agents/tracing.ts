import { hostname } from 'node:os';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export { ROOT_CONTEXT, SpanKind, type Context, type Span };

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. None: no export. */
  endpoint: string | undefined;
  /** How often batches are exported. Default 1,000 ms. */
  exportDelayMs?: number;
}

/**
 * Tracing with the OpenTelemetry SDK: spans always get real W3C ids (they travel in the messages and
 * Kafka headers), and are exported over OTLP/HTTP only when an endpoint is configured. Contexts are
 * passed explicitly (no global context manager), so concurrent tasks never mix their parents.
 */
export class Tracing {
  readonly tracer: Tracer;
  readonly #provider: BasicTracerProvider;
  readonly #propagator = new W3CTraceContextPropagator();
  readonly exporting: boolean;

  constructor(options: TracingOptions) {
    const spanProcessors =
      options.endpoint === undefined
        ? []
        : [
            new BatchSpanProcessor(
              new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` }),
              {
                scheduledDelayMillis: options.exportDelayMs ?? 1_000,
                maxQueueSize: 4_096,
                maxExportBatchSize: 512,
              },
            ),
          ];
    this.exporting = spanProcessors.length > 0;
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': options.serviceName,
        'service.instance.id': `${hostname()}:${process.pid}`,
        'host.name': hostname(),
      }),
      spanProcessors,
    });
    this.tracer = this.#provider.getTracer('agent-telemetry-agents');
  }

  startSpan(name: string, kind: SpanKind, parent: Context, attributes: Attributes = {}): Span {
    return this.tracer.startSpan(name, { kind, attributes }, parent);
  }

  /** The context whose active span is `span`, to parent children on. */
  contextOf(span: Span, parent: Context = ROOT_CONTEXT): Context {
    return trace.setSpan(parent, span);
  }

  /** W3C `traceparent` (and `tracestate`) headers for the span in `context`. */
  inject(context: Context): Record<string, string> {
    const carrier: Record<string, string> = {};
    this.#propagator.inject(context, carrier, defaultTextMapSetter);
    return carrier;
  }

  /** The remote parent carried in Kafka headers, or the root context. */
  extract(headers: Readonly<Record<string, unknown>> | undefined): Context {
    const carrier: Record<string, string> = {};
    for (const [key, value] of Object.entries(headers ?? {})) {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') carrier[key] = first;
      else if (Buffer.isBuffer(first)) carrier[key] = first.toString('utf8');
    }
    return this.#propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  }

  /** Ends a span as failed, with the exception event. */
  static fail(span: Span, error: unknown): void {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }

  forceFlush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}

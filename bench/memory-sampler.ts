import { int, scrapeMetrics } from './report.js';

/** What a processors process holds at its highest resident set, from its own metrics. */
export interface MemoryAtPeak {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  bufferedMessages: number;
}

const PREFIX = 'agent_telemetry_processor_';
const MB = 1024 * 1024;

/**
 * Scrapes a processors process's /metrics every `intervalMs` and keeps the sample with the highest
 * resident set: how much of it is the JavaScript heap (used and reserved), how much is memory held
 * outside it (Buffers), and the rest (librdkafka's queues and the process's own code and stacks).
 */
export function sampleMemory(metricsUrl: string, intervalMs = 250): { stop(): MemoryAtPeak | undefined } {
  let peak: MemoryAtPeak | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    scrapeMetrics(metricsUrl)
      .then((m) => {
        const rssMb = (m.get(`${PREFIX}process_resident_memory_bytes`) ?? 0) / MB;
        if (peak !== undefined && rssMb <= peak.rssMb) return;
        peak = {
          rssMb,
          heapUsedMb: (m.get(`${PREFIX}nodejs_heap_size_used_bytes`) ?? 0) / MB,
          heapTotalMb: (m.get(`${PREFIX}nodejs_heap_size_total_bytes`) ?? 0) / MB,
          externalMb: (m.get(`${PREFIX}nodejs_external_memory_bytes`) ?? 0) / MB,
          bufferedMessages: m.get('agent_telemetry_buffered_messages') ?? 0,
        };
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export function describeMemory(peak: MemoryAtPeak | undefined): string {
  if (peak === undefined) return 'memory samples: none';
  const rest = peak.rssMb - peak.heapTotalMb - peak.externalMb;
  return (
    `at the highest sampled RSS ${int(peak.rssMb)} MiB: JS heap ${int(peak.heapUsedMb)} MiB used of ` +
    `${int(peak.heapTotalMb)} MiB reserved, ${int(peak.externalMb)} MiB outside the heap (Buffers), ` +
    `${int(rest)} MiB the rest (librdkafka, code, stacks); ${int(peak.bufferedMessages)} messages buffered`
  );
}

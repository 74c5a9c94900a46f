/**
 * How a processors process is started wherever it is started (the Kubernetes manifest,
 * `scripts/start.sh`, the benchmarks and the soak), stated once here and checked against the
 * others by `deploy/deploy.test.ts`.
 *
 * - `--max-old-space-size=192`: V8 otherwise grows its heap, and the Buffers it collects with it,
 *   far past what the processors hold, because a bigger heap is cheaper to run. The processors'
 *   live data is bounded by `PROCESSOR_MAX_BUFFERED_BYTES` (64 MiB of estimated bytes by default,
 *   about three times the raw messages), so a 192 MiB heap holds it with room and is collected
 *   before the process nears its memory limit. Raise both together.
 * - `--max-semi-space-size=8`: the young generation of 24 MiB instead of 48 MiB; short-lived
 *   objects (decoded messages, rows) die there either way.
 * - `MALLOC_ARENA_MAX=2`: glibc gives each of librdkafka's threads its own malloc arena, which
 *   fragments; two arenas keep the native heap near what is in use.
 */
export const PROCESSOR_PROCESS_ENV: Readonly<Record<'NODE_OPTIONS' | 'MALLOC_ARENA_MAX', string>> = {
  NODE_OPTIONS: '--max-old-space-size=192 --max-semi-space-size=8',
  MALLOC_ARENA_MAX: '2',
};

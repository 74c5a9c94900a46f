import { jsonResponse } from './http/http-error.js';

export interface DependencyCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or times out) when it does not. */
  check: () => Promise<void>;
}

interface CheckResult {
  status: 'ok' | 'unavailable';
  latency_ms: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2_000;
/** Probes come every few seconds from several places; one round of checks serves them all. */
const CACHE_MS = 2_000;

async function run(check: DependencyCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`));
        }, CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'ok', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'unavailable',
      latency_ms: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health` (liveness, the contract's `{status, timestamp, active_connections}` plus the
 * dependency checks: 200 while the process serves, `status` says `degraded` when a dependency is
 * down, because restarting the API would not bring it back) and `/ready` (readiness: 503 until every
 * dependency answers, so no traffic is routed to an instance that cannot answer).
 */
export function createHealth(
  checks: readonly DependencyCheck[],
  activeConnections: () => number,
  now: () => number,
): { live(): Promise<Response>; ready(): Promise<Response> } {
  let cached: { at: number; value: Promise<Record<string, CheckResult>> } | undefined;
  const results = (): Promise<Record<string, CheckResult>> => {
    const at = Date.now();
    if (cached === undefined || at - cached.at > CACHE_MS) {
      cached = {
        at,
        value: Promise.all(checks.map(async (c) => [c.name, await run(c)] as const)).then((entries) =>
          Object.fromEntries(entries),
        ),
      };
    }
    return cached.value;
  };
  const body = async (): Promise<{ ok: boolean; body: Record<string, unknown> }> => {
    const dependencies = await results();
    const ok = Object.values(dependencies).every((r) => r.status === 'ok');
    return {
      ok,
      body: {
        status: ok ? 'healthy' : 'degraded',
        timestamp: new Date(now()).toISOString(),
        active_connections: activeConnections(),
        checks: dependencies,
      },
    };
  };
  return {
    async live() {
      return jsonResponse((await body()).body);
    },
    async ready() {
      const { ok, body: payload } = await body();
      return jsonResponse({ ...payload, status: ok ? 'ready' : 'not_ready' }, ok ? 200 : 503);
    },
  };
}

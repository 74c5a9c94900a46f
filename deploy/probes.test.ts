import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandOf, livenessUrl, runHealthcheck } from '../cli/commands-deploy.js';
import { loadConfig, type Config } from '../lib/config.js';
import { startProbeServer } from '../lib/http-probe-server.js';
import { createLogger } from '../lib/logger.js';
import { PROBE_ROUTES } from './test-support/checks.js';

/**
 * The probe routes the manifests use exist on the real probe server of the processors, and the
 * image's HEALTHCHECK (`agent-telemetry healthcheck`) probes the right route of the right command.
 */

const state = { alive: true, ready: false };
let server: { port: number; close: () => Promise<void> };
let config: Config;

beforeAll(async () => {
  server = await startProbeServer({
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'silent', component: 'test', destination: new PassThrough() }),
    registry: new Registry(),
    isAlive: () => state.alive,
    isReady: () => state.ready,
  });
  config = loadConfig({ PROCESSOR_HTTP_PORT: String(server.port) });
});

afterAll(async () => {
  await server.close();
});

const status = async (path: string): Promise<number> =>
  (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;

describe('processors probe routes', () => {
  it('answer on the paths the manifests probe (503 when not ready, never 404)', async () => {
    state.alive = true;
    state.ready = false;
    expect(await status(PROBE_ROUTES.processors.liveness)).toBe(200);
    expect(await status(PROBE_ROUTES.processors.readiness)).toBe(503);
    expect(await status('/no-such-route')).toBe(404);
  });
});

describe('agent-telemetry healthcheck', () => {
  const processorsCmdline = ['node', '/app/dist/cli/main.js', 'processors', ''].join('\0');

  it('finds the command PID 1 runs', () => {
    expect(commandOf(processorsCmdline)).toBe('processors');
    expect(commandOf(['node', '/usr/local/bin/agent-telemetry', 'agents', 'run'].join('\0'))).toBe('agents');
    expect(commandOf(['sh', '-c', 'sleep 1'].join('\0'))).toBeUndefined();
  });

  it('probes the liveness route of the api, the processors and the agents, on their configured ports', () => {
    const custom = loadConfig({ API_PORT: '9090', PROCESSOR_HTTP_PORT: '9999' });
    expect(livenessUrl('api', custom)).toBe(`http://127.0.0.1:9090${PROBE_ROUTES.api.liveness}`);
    expect(livenessUrl('processors', custom)).toBe(
      `http://127.0.0.1:9999${PROBE_ROUTES.processors.liveness}`,
    );
    expect(livenessUrl('processors', loadConfig({ PROCESSOR_HTTP_PORT: '0' }))).toBeUndefined();
    expect(livenessUrl('agents', loadConfig({ AGENTS_HTTP_PORT: '9470' }))).toBe(
      `http://127.0.0.1:9470${PROBE_ROUTES.agents.liveness}`,
    );
    expect(livenessUrl('mcp', custom)).toBeUndefined();
  });

  it('passes while the processors are alive and fails when they are not', async () => {
    const err = new PassThrough();
    state.alive = true;
    expect(await runHealthcheck(config, processorsCmdline, 2000, err)).toBe(0);
    state.alive = false;
    expect(await runHealthcheck(config, processorsCmdline, 2000, err)).toBe(1);
    expect(String(err.read())).toMatch(/answered 503/);
    state.alive = true;
  });

  it('fails when nothing listens', async () => {
    const closed = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent', component: 'test', destination: new PassThrough() }),
      registry: new Registry(),
      isAlive: () => true,
      isReady: () => true,
    });
    await closed.close();
    const err = new PassThrough();
    const gone = loadConfig({ PROCESSOR_HTTP_PORT: String(closed.port) });
    expect(await runHealthcheck(gone, processorsCmdline, 2000, err)).toBe(1);
  });
});

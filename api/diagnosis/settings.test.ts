import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { TelemetryError } from '../../lib/errors.js';
import { oracleSettings } from '../oracle/module.js';
import { diagnosisSettings } from './module.js';

describe('diagnosis and oracle configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(diagnosisSettings(config)).toEqual({
      thresholds: {
        stuckAfterS: { critical: 60, high: 120, normal: 300, low: 900 },
        heartbeatTimeoutS: 30,
        spikeFactor: 3,
        spikeMinErrors: 5,
        cascadeMinAgents: 2,
        retryStormMinAttempts: 5,
        slowFactor: 3,
        slowMinMs: 2_000,
        timeoutMinCount: 3,
        llmUtilizationWarn: 0.9,
      },
      llmLimits: [],
      baselineWindows: 4,
      agents: ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'],
      processorsGroupId: 'telemetry-processors',
    });
    expect(oracleSettings(config)).toMatchObject({ discoveryMode: 'auto', systemId: 'agent-telemetry' });
    expect(config.oracle.strictSchema).toBe(true);
    expect(config.oracle.kubernetes).toBeUndefined();
  });

  it('parses thresholds per priority and LLM limits, provider optional', () => {
    const config = loadConfig({
      DIAGNOSIS_STUCK_AFTER_S: 'low=600, normal=120,high=30,critical=10',
      LLM_LIMITS:
        '[{"model":"gpt-4o-mini","provider":"openai","tpm_max":200000,"rpm_max":500},{"model":"llama3.1:8b","tpm_max":0,"rpm_max":60}]',
    });
    expect(config.diagnosis.stuckAfterS).toEqual({ critical: 10, high: 30, normal: 120, low: 600 });
    expect(config.llmLimits).toEqual([
      { model: 'gpt-4o-mini', provider: 'openai', tpm_max: 200_000, rpm_max: 500 },
      { model: 'llama3.1:8b', provider: '', tpm_max: 0, rpm_max: 60 },
    ]);
  });

  it('finds the Kubernetes API in a pod, or at an explicit URL', () => {
    const inPod = loadConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' });
    expect(inPod.oracle.kubernetes?.apiUrl).toBe('https://10.96.0.1:443');
    expect(inPod.oracle.kubernetes?.tokenFile).toBe('/var/run/secrets/kubernetes.io/serviceaccount/token');
    const ipv6 = loadConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1' });
    expect(ipv6.oracle.kubernetes?.apiUrl).toBe('https://[fd00::1]:443');
    const proxy = loadConfig({
      ORACLE_KUBERNETES_API_URL: 'http://127.0.0.1:8001',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
    });
    expect(proxy.oracle.kubernetes?.apiUrl).toBe('http://127.0.0.1:8001');
  });

  it.each([
    ['DIAGNOSIS_STUCK_AFTER_S', 'critical=60,high=120'],
    ['DIAGNOSIS_STUCK_AFTER_S', 'critical=x,high=1,normal=1,low=1'],
    ['LLM_LIMITS', 'gpt-4o=100'],
    ['LLM_LIMITS', '[{"model":"m","tpm_max":-1,"rpm_max":1}]'],
    ['LLM_LIMITS', '[{"model":"m","tpm_max":1,"rpm_max":1,"cost":3}]'],
    ['ORACLE_DISCOVERY_MODE', 'guess'],
    ['DIAGNOSIS_CASCADE_MIN_AGENTS', '1'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as TelemetryError).message).toContain(name);
  });
});

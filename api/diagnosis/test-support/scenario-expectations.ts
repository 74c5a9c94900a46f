/**
 * What a correct diagnosis of each agents fault scenario (`agent-telemetry agents run --scenario`)
 * puts first: the role of the agent it names and the kinds that name the cause. Shared by the
 * scenario tests and the diagnosis scorecard (`npm run bench:diagnosis`).
 */
export const SCENARIO_ROLES = ['orchestrator', 'researcher', 'writer', 'coder', 'reviewer'] as const;
export type ScenarioRole = (typeof SCENARIO_ROLES)[number];

export interface ScenarioExpectation {
  scenario: string;
  /** Absent for the healthy scenario: nothing may be reported. */
  expect?: { role: ScenarioRole; kinds: string[] };
}

export const SCENARIO_EXPECTATIONS: readonly ScenarioExpectation[] = [
  { scenario: 'healthy' },
  { scenario: 'llm-timeouts', expect: { role: 'researcher', kinds: ['timeouts'] } },
  { scenario: 'rate-limited', expect: { role: 'writer', kinds: ['llm_rate_limit'] } },
  { scenario: 'crashing-agent', expect: { role: 'coder', kinds: ['dead_agent', 'consumer_group_empty'] } },
  { scenario: 'stuck-task', expect: { role: 'reviewer', kinds: ['stuck_tasks'] } },
  { scenario: 'poison', expect: { role: 'researcher', kinds: ['dlq_growth'] } },
  { scenario: 'cascade', expect: { role: 'coder', kinds: ['cascading_failure'] } },
  { scenario: 'retry-storm', expect: { role: 'researcher', kinds: ['retry_storm'] } },
  { scenario: 'slow-agent', expect: { role: 'writer', kinds: ['slow_agent'] } },
];

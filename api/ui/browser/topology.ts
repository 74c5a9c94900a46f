/// <reference lib="dom" />
import { h, svg } from './dom.js';
import { ellipseLayout, edgeSegment, timeX } from './graph-layout.js';
import type { AgentGraph, AgentGraphEdge, Health, TraceWaterfall, WaterfallRow } from './types.js';

/** The agent graph (who sends tasks to whom) and a trace's waterfall, drawn as SVG. */

const HEALTH_TONE: Readonly<Record<Health, string>> = {
  healthy: 'ok',
  degraded: 'warn',
  failing: 'bad',
  down: 'bad',
  unknown: 'muted',
};

/** 850 ms, 4.2 s, 3 min 5 s. */
export function shortDuration(ms: number | null): string {
  if (ms === null) return '?';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

function edgeLabel(e: AgentGraphEdge): string {
  const parts = [`${e.rate_per_minute}/min`];
  if (e.error_rate > 0) parts.push(`${Math.round(e.error_rate * 100)}% err`);
  if (e.p95_latency_ms !== null) parts.push(`p95 ${shortDuration(e.p95_latency_ms)}`);
  if (e.pending > 0) parts.push(`${e.pending} pending`);
  return parts.join(' · ');
}

const GRAPH = { width: 900, height: 460, radius: 28, margin: 60 };

export function agentGraphPanel(graph: AgentGraph): Element {
  if (graph.nodes.length === 0) return h('p', { class: 'empty' }, 'No agents seen yet.');
  const at = ellipseLayout(
    graph.nodes.map((n) => n.agent),
    GRAPH.width,
    GRAPH.height,
    GRAPH.margin,
  );
  const edges = graph.edges.flatMap((e) => {
    const a = at.get(e.source);
    const b = at.get(e.target);
    if (a === undefined || b === undefined || e.source === e.target) return [];
    const { from, to } = edgeSegment(a, b, GRAPH.radius + 2, 5);
    const tone = e.error_rate >= 0.5 ? 'bad' : e.error_rate > 0 || e.pending > 0 ? 'warn' : 'ok';
    const label = edgeLabel(e);
    return [
      svg(
        'g',
        { class: `graph-edge edge-${tone}`, 'data-source': e.source, 'data-target': e.target },
        svg(
          'title',
          {},
          `${e.source} → ${e.target}: ${e.tasks} tasks in ${graph.window_minutes} min, ${label}`,
        ),
        svg('line', { x1: from.x, y1: from.y, x2: to.x, y2: to.y, 'marker-end': `url(#arrow-${tone})` }),
        svg('text', { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 - 4, 'text-anchor': 'middle' }, label),
      ),
    ];
  });
  const nodes = graph.nodes.map((n) => {
    const p = at.get(n.agent) ?? { x: 0, y: 0 };
    const tone = HEALTH_TONE[n.health];
    return svg(
      'g',
      { class: `graph-node node-${tone}`, 'data-agent': n.agent, 'data-health': n.health },
      svg('title', {}, `${n.agent}: ${n.health} (${n.health_reason}); ${n.pending} pending`),
      svg('circle', { cx: p.x, cy: p.y, r: GRAPH.radius }),
      svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', class: 'node-health' }, n.health),
      svg(
        'text',
        { x: p.x, y: p.y + GRAPH.radius + 14, 'text-anchor': 'middle', class: 'node-name' },
        n.agent,
      ),
      n.pending > 0
        ? svg(
            'text',
            { x: p.x, y: p.y + GRAPH.radius + 27, 'text-anchor': 'middle', class: 'node-pending' },
            `${n.pending} pending`,
          )
        : null,
    );
  });
  const marker = (tone: string) =>
    svg(
      'marker',
      {
        id: `arrow-${tone}`,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow-${tone}` }),
    );
  return svg(
    'svg',
    {
      class: 'agent-graph',
      viewBox: `0 0 ${GRAPH.width} ${GRAPH.height}`,
      role: 'img',
      'aria-label': `${graph.nodes.length} agents, ${graph.edges.length} task routes over ${graph.window_minutes} minutes`,
    },
    svg('defs', {}, marker('ok'), marker('warn'), marker('bad')),
    ...edges,
    ...nodes,
  );
}

const FALL = { label: 380, bars: 800, row: 20, axis: 22 };
const MAX_LABEL = 56;

const cut = (text: string): string => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

function bar(row: WaterfallRow, duration: number, y: number): Element[] {
  const x = (ms: number) => FALL.label + timeX(ms, duration, FALL.bars);
  const start = x(row.start_offset_ms);
  if (row.kind === 'error' || row.kind === 'message' || (row.end_offset_ms === null && row.kind !== 'task')) {
    const cls = row.kind === 'error' ? 'fall-error' : 'fall-message';
    const size = 5;
    return [
      svg('path', {
        d: `M ${start} ${y + 4} l ${size} ${size} l ${-size} ${size} l ${-size} ${-size} z`,
        class: cls,
      }),
    ];
  }
  const end = row.end_offset_ms === null ? FALL.label + FALL.bars : x(row.end_offset_ms);
  const height = FALL.row - 6;
  if (row.kind === 'llm_call')
    return [
      svg('rect', {
        x: start,
        y: y + 5,
        width: Math.max(1, end - start),
        height: height - 4,
        class: `fall-llm state-${row.state}`,
      }),
    ];
  const parts: Element[] = [];
  if (row.queued_ms !== null && row.working_ms !== null && row.end_offset_ms !== null) {
    const started = x(row.start_offset_ms + row.queued_ms);
    parts.push(
      svg('rect', { x: start, y: y + 3, width: Math.max(0, started - start), height, class: 'fall-queued' }),
    );
    parts.push(
      svg('rect', {
        x: started,
        y: y + 3,
        width: Math.max(1, end - started),
        height,
        class: `fall-working state-${row.state}`,
      }),
    );
  } else {
    parts.push(
      svg('rect', {
        x: start,
        y: y + 3,
        width: Math.max(1, end - start),
        height,
        class: `fall-task state-${row.state}${row.end_offset_ms === null ? ' open' : ''}`,
      }),
    );
  }
  return parts;
}

function rowTitle(row: WaterfallRow): string {
  const parts = [`${row.label} (${row.state})`];
  if (row.kind === 'task') {
    parts.push(
      `queued ${shortDuration(row.queued_ms)}, working ${shortDuration(row.working_ms)}, LLM ${shortDuration(row.llm_ms)}`,
    );
  }
  if (row.kind === 'llm_call') parts.push(shortDuration(row.llm_ms));
  if (row.detail !== null) parts.push(row.detail);
  return parts.join(' — ');
}

export function waterfallPanel(fall: TraceWaterfall): Element {
  const height = FALL.axis + fall.rows.length * FALL.row + 4;
  const width = FALL.label + FALL.bars + 10;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) =>
    svg(
      'g',
      { class: 'fall-tick' },
      svg('line', {
        x1: FALL.label + f * FALL.bars,
        y1: FALL.axis - 4,
        x2: FALL.label + f * FALL.bars,
        y2: height,
      }),
      svg(
        'text',
        {
          x: FALL.label + f * FALL.bars,
          y: FALL.axis - 8,
          'text-anchor': f === 1 ? 'end' : f === 0 ? 'start' : 'middle',
        },
        shortDuration(f * fall.duration_ms),
      ),
    ),
  );
  const rows = fall.rows.map((row, i) => {
    const y = FALL.axis + i * FALL.row;
    return svg(
      'g',
      {
        class: `fall-row kind-${row.kind}`,
        'data-kind': row.kind,
        'data-id': row.id,
        'data-agent': row.agent,
      },
      svg('title', {}, rowTitle(row)),
      svg(
        'text',
        { x: 4 + row.depth * 14, y: y + 14, class: 'fall-label' },
        cut(row.kind === 'task' ? row.label : `${row.agent}: ${row.label}`),
      ),
      ...bar(row, fall.duration_ms, y),
    );
  });
  const legend = h(
    'p',
    { class: 'fall-legend' },
    h('span', { class: 'swatch fall-queued' }),
    ' queued ',
    h('span', { class: 'swatch fall-working' }),
    ' working ',
    h('span', { class: 'swatch fall-llm' }),
    ' LLM call ',
    h('span', { class: 'swatch fall-error' }),
    ' error ',
    h('span', { class: 'swatch fall-task' }),
    ' split unknown',
  );
  return h(
    'div',
    { class: 'waterfall', 'data-trace': fall.trace_id },
    h(
      'p',
      {},
      `${fall.counts.tasks} tasks, ${fall.counts.llm_calls} LLM calls, ${fall.counts.errors} errors across ${fall.agents.length} agents in ${shortDuration(fall.duration_ms)}`,
    ),
    svg(
      'svg',
      {
        class: 'waterfall-chart',
        viewBox: `0 0 ${width} ${height}`,
        width,
        height,
        role: 'img',
        'aria-label': `waterfall of trace ${fall.trace_id}`,
      },
      ...ticks,
      ...rows,
    ),
    legend,
    ...fall.notes.map((n) => h('p', { class: 'empty' }, n)),
  );
}

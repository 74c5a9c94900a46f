/// <reference lib="dom" />
import { h, svg } from './dom.js';
import { niceMax, polylinePoints } from './geometry.js';
import type { AgentSeries } from './types.js';

/** A small trend line (error groups): the shape matters, the numbers are in the title. */
export function sparkline(values: readonly number[], label: string): SVGSVGElement {
  const width = 120;
  const height = 24;
  const top = niceMax(Math.max(0, ...values));
  return svg(
    'svg',
    {
      class: 'sparkline',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': label,
    },
    svg('title', {}, `${label}: ${values.join(', ')}`),
    svg('polyline', { points: polylinePoints(values, width, height - 2, top), class: 'line-errors' }),
  );
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const CHART = { width: 320, height: 90, left: 28, bottom: 16 };

/**
 * Messages (received + sent) and errors per minute of one agent: two lines over the same minutes,
 * one y axis, first and last minute labelled, so agents' charts read side by side.
 */
export function activityChart(series: AgentSeries, minutes: readonly string[]): HTMLElement {
  const messages = series.received.map((r, i) => r + (series.sent[i] ?? 0));
  const top = niceMax(Math.max(0, ...messages, ...series.errors));
  const plotWidth = CHART.width - CHART.left;
  const plotHeight = CHART.height - CHART.bottom;
  const label = (iso: string | undefined) =>
    iso === undefined
      ? ''
      : new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  const totalMessages = messages.reduce((a, b) => a + b, 0);
  const totalErrors = series.errors.reduce((a, b) => a + b, 0);
  const chart = svg(
    'svg',
    {
      class: 'activity-chart',
      viewBox: `0 0 ${CHART.width} ${CHART.height}`,
      role: 'img',
      'aria-label': `${series.agent_name}: ${totalMessages} messages and ${totalErrors} errors in ${minutes.length} minutes`,
    },
    svg('line', { x1: CHART.left, y1: plotHeight, x2: CHART.width, y2: plotHeight, class: 'axis' }),
    svg('line', { x1: CHART.left, y1: 0, x2: CHART.left, y2: plotHeight, class: 'axis' }),
    svg('text', { x: CHART.left - 4, y: 9, class: 'tick', 'text-anchor': 'end' }, top),
    svg('text', { x: CHART.left - 4, y: plotHeight, class: 'tick', 'text-anchor': 'end' }, 0),
    svg('text', { x: CHART.left, y: CHART.height - 3, class: 'tick' }, label(minutes[0])),
    svg(
      'text',
      { x: CHART.width, y: CHART.height - 3, class: 'tick', 'text-anchor': 'end' },
      label(minutes.at(-1)),
    ),
    svg(
      'g',
      { transform: `translate(${CHART.left},0)` },
      svg('polyline', {
        points: polylinePoints(messages, plotWidth, plotHeight, top),
        class: 'line-messages',
      }),
      svg('polyline', {
        points: polylinePoints(series.errors, plotWidth, plotHeight, top),
        class: 'line-errors',
      }),
    ),
  );
  return h(
    'figure',
    { class: 'activity', 'data-agent': series.agent_name },
    h(
      'figcaption',
      {},
      h('strong', {}, series.agent_name),
      ' ',
      h('span', { class: 'legend-messages' }, plural(totalMessages, 'message')),
      ' · ',
      h('span', { class: 'legend-errors' }, plural(totalErrors, 'error')),
    ),
    chart,
  );
}

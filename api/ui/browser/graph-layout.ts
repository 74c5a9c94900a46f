/** Geometry of the agent graph and the waterfall, without the DOM, so it can be tested on its own. */

export interface Point {
  x: number;
  y: number;
}

/**
 * Agents on an ellipse filling the box in name order, the first at the top, clockwise; one agent
 * sits in the middle. The margin is doubled sideways, where the names under the nodes spread.
 * Requesters that are not agents (a user, a CLI) are agents of the graph like any other.
 */
export function ellipseLayout(
  names: readonly string[],
  width: number,
  height: number,
  margin: number,
): Map<string, Point> {
  const cx = width / 2;
  const cy = height / 2;
  const rx = Math.max(0, width / 2 - 2 * margin);
  const ry = Math.max(0, height / 2 - margin);
  const out = new Map<string, Point>();
  names.forEach((name, i) => {
    if (names.length === 1) {
      out.set(name, { x: cx, y: cy });
      return;
    }
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / names.length;
    out.set(name, { x: round(cx + rx * Math.cos(angle)), y: round(cy + ry * Math.sin(angle)) });
  });
  return out;
}

/**
 * The segment from `a` to `b` shortened by `radius` at both ends (so an arrow stops at the node's
 * rim) and moved `offset` to its left, so that A→B and B→A do not overlap.
 */
export function edgeSegment(a: Point, b: Point, radius: number, offset: number): { from: Point; to: Point } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy);
  if (length === 0) return { from: a, to: b };
  const ux = dx / length;
  const uy = dy / length;
  const nx = uy * offset;
  const ny = -ux * offset;
  return {
    from: { x: round(a.x + ux * radius + nx), y: round(a.y + uy * radius + ny) },
    to: { x: round(b.x - ux * radius + nx), y: round(b.y - uy * radius + ny) },
  };
}

/** x of `offsetMs` on a time axis of `durationMs` drawn over `width` pixels. */
export function timeX(offsetMs: number, durationMs: number, width: number): number {
  if (durationMs <= 0) return 0;
  return round((Math.min(Math.max(offsetMs, 0), durationMs) / durationMs) * width);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

import { describe, expect, it } from 'vitest';
import { ellipseLayout, edgeSegment, timeX } from './graph-layout.js';

describe('graph layout', () => {
  it('puts agents on an ellipse, the first at the top, clockwise, with a wider margin sideways', () => {
    const at = ellipseLayout(['a', 'b', 'c', 'd'], 400, 200, 20);
    expect(at.get('a')).toEqual({ x: 200, y: 20 });
    expect(at.get('b')).toEqual({ x: 360, y: 100 });
    expect(at.get('c')).toEqual({ x: 200, y: 180 });
    expect(at.get('d')).toEqual({ x: 40, y: 100 });
    expect(ellipseLayout(['solo'], 200, 100, 10).get('solo')).toEqual({ x: 100, y: 50 });
  });

  it('stops an edge at the nodes’ rims and moves it aside so that both directions show', () => {
    expect(edgeSegment({ x: 0, y: 0 }, { x: 100, y: 0 }, 10, 0)).toEqual({
      from: { x: 10, y: 0 },
      to: { x: 90, y: 0 },
    });
    expect(edgeSegment({ x: 0, y: 0 }, { x: 100, y: 0 }, 10, 4).from.y).toBe(-4);
    expect(edgeSegment({ x: 100, y: 0 }, { x: 0, y: 0 }, 10, 4).from.y).toBe(4);
  });

  it('maps times onto the waterfall axis, clamped to it', () => {
    expect(timeX(500, 1_000, 300)).toBe(150);
    expect(timeX(2_000, 1_000, 300)).toBe(300);
    expect(timeX(10, 0, 300)).toBe(0);
  });
});

/** Chart geometry without the DOM, so it can be tested on its own. */

/** A "nice" axis top at or above `max`: 1, 2 or 5 times a power of ten (at least 1). */
export function niceMax(max: number): number {
  if (!Number.isFinite(max) || max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((m) => m * power >= max) ?? 10;
  return step * power;
}

/**
 * SVG polyline points of `values` spread over `width`, scaled to `top` within `height` (y grows
 * downwards, so a value of 0 sits on the bottom edge). A single value spans the whole width.
 */
export function polylinePoints(
  values: readonly number[],
  width: number,
  height: number,
  top: number,
): string {
  if (values.length === 0) return '';
  const scale = top > 0 ? height / top : 0;
  const y = (v: number) => round(height - Math.min(Math.max(v, 0), top) * scale);
  if (values.length === 1) return `0,${y(values[0] ?? 0)} ${width},${y(values[0] ?? 0)}`;
  const dx = width / (values.length - 1);
  return values.map((v, i) => `${round(i * dx)},${y(v)}`).join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

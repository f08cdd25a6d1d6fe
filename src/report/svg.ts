/**
 * Dependency-free SVG charts for the reports sparsecnn writes (`--report FILE.html`): grouped bar
 * charts and line charts, as strings. Values are data, never markup: every label is escaped, and a
 * non-finite value is an error here rather than a broken picture later.
 */
import { fail } from '../errors.js';

/** One bar group (a category on the x axis) with one value per series. */
export interface BarGroup {
  readonly label: string;
  readonly values: readonly number[];
}

export interface BarChart {
  readonly title: string;
  /** Unit shown on the y axis, e.g. 'ms' or '% top-1'. */
  readonly yLabel: string;
  /** Names of the series (one bar per group each); the legend shows them when there are several. */
  readonly series: readonly string[];
  readonly groups: readonly BarGroup[];
  /** Printed above each bar (default: 3 significant digits). */
  readonly format?: (v: number) => string;
  /** Fixed y range start (default 0, or below 0 when a value is negative). */
  readonly yMin?: number;
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
}

/** Colour-blind-safe palette (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'] as const;

const W = 720;
const H = 360;
const M = { top: 44, right: 20, bottom: 90, left: 64 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function defaultFormat(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

/** Rounded axis ticks covering [lo, hi] (about 5 of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : +t.toPrecision(12));
  if (ticks[ticks.length - 1]! < hi) ticks.push(+(ticks[ticks.length - 1]! + step).toPrecision(12));
  return ticks;
}

/** Tick labels with as many decimals as the tick step needs (0, 20, 40 — or 2.5, 5.0, 7.5). */
function tickFormat(ticks: readonly number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9) + (String(step).includes('.5') || String(step).includes('.25') ? 1 : 0)));
  return (v) => (Math.abs(v) >= 1e6 ? v.toExponential(1) : v.toFixed(decimals));
}

function checkFinite(values: readonly number[], what: string): void {
  for (const v of values) if (!Number.isFinite(v)) fail('INVALID_ARGUMENT', `chart '${what}': value ${v} is not a finite number`);
}

function frame(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="12">` +
    `<title>${escapeXml(title)}</title><rect width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>${body}</svg>`;
}

function legend(names: readonly string[]): string {
  if (names.length < 2) return '';
  let x = M.left;
  let out = '';
  for (const [i, n] of names.entries()) {
    out += `<rect x="${x}" y="30" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="39">${escapeXml(n)}</text>`;
    x += 24 + n.length * 7;
  }
  return out;
}

function yAxis(ticks: readonly number[], y: (v: number) => number, label: string): string {
  const fmt = tickFormat(ticks);
  let out = `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`;
  for (const t of ticks) {
    const yy = num(y(t));
    out += `<line x1="${M.left - 4}" y1="${yy}" x2="${W - M.right}" y2="${yy}" stroke="${t === 0 ? '#333' : '#e4e4e4'}"/>`;
    out += `<text x="${M.left - 7}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeXml(fmt(t))}</text>`;
  }
  out += `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text>`;
  return out;
}

/** A grouped bar chart: groups along x, one bar per series in each, value printed on the bar. */
export function barChart(c: BarChart): string {
  if (c.groups.length === 0 || c.series.length === 0) fail('INVALID_ARGUMENT', `chart '${c.title}' has no data`);
  for (const g of c.groups) {
    if (g.values.length !== c.series.length) fail('INVALID_ARGUMENT', `chart '${c.title}': group '${g.label}' has ${g.values.length} values for ${c.series.length} series`);
    checkFinite(g.values, c.title);
  }
  const all = c.groups.flatMap((g) => g.values);
  const lo = Math.min(c.yMin ?? 0, ...all);
  const ticks = niceTicks(lo, Math.max(...all));
  const y0 = ticks[0]!, y1 = ticks[ticks.length - 1]!;
  const plotH = H - M.top - M.bottom;
  const y = (v: number): number => M.top + plotH * (1 - (v - y0) / (y1 - y0));
  const fmt = c.format ?? defaultFormat;
  const slot = (W - M.left - M.right) / c.groups.length;
  const barW = Math.min(48, (slot * 0.8) / c.series.length);
  // Long category labels turn; values over bars too narrow for them stay in the tooltips.
  const rotate = c.groups.some((g) => g.label.length * 6.5 > slot);
  const showValues = barW >= 18;
  let body = yAxis(ticks, y, c.yLabel) + legend(c.series);
  for (const [gi, g] of c.groups.entries()) {
    const x0 = M.left + gi * slot + (slot - barW * c.series.length) / 2;
    for (const [si, v] of g.values.entries()) {
      const top = y(Math.max(v, 0)), bottom = y(Math.min(v, 0));
      const x = x0 + si * barW;
      body += `<rect x="${num(x)}" y="${num(top)}" width="${num(barW - 2)}" height="${num(Math.max(bottom - top, 0.5))}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(`${g.label}, ${c.series[si]}: ${fmt(v)}`)}</title></rect>`;
      if (showValues) body += `<text x="${num(x + (barW - 2) / 2)}" y="${num(top - 4)}" text-anchor="middle" font-size="11">${escapeXml(fmt(v))}</text>`;
    }
    const lx = num(M.left + gi * slot + slot / 2);
    body += rotate
      ? `<text transform="translate(${lx} ${H - M.bottom + 12}) rotate(-35)" text-anchor="end" font-size="11">${escapeXml(g.label)}</text>`
      : `<text x="${lx}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(g.label)}</text>`;
  }
  return frame(c.title, body);
}

/** A line chart of one or more series over a numeric x axis (markers on every point). */
export function lineChart(c: LineChart): string {
  const pts = c.series.flatMap((s) => s.points);
  if (pts.length === 0) fail('INVALID_ARGUMENT', `chart '${c.title}' has no data`);
  checkFinite(pts.flat(), c.title);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  // Integer x data (steps, epochs) gets integer ticks only.
  let xt = niceTicks(Math.min(...xs), Math.max(...xs));
  if (xs.every(Number.isInteger) && xt.filter(Number.isInteger).length >= 2) xt = xt.filter(Number.isInteger);
  const yt = niceTicks(Math.min(...ys), Math.max(...ys));
  const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (plotW * (v - xt[0]!)) / (xt[xt.length - 1]! - xt[0]!);
  const y = (v: number): number => M.top + plotH * (1 - (v - yt[0]!) / (yt[yt.length - 1]! - yt[0]!));
  let body = yAxis(yt, y, c.yLabel) + legend(c.series.map((s) => s.name));
  body += `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`;
  const xf = tickFormat(xt);
  for (const t of xt) body += `<text x="${num(x(t))}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeXml(xf(t))}</text>`;
  body += `<text x="${(M.left + W - M.right) / 2}" y="${H - M.bottom + 36}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`;
  for (const [si, s] of c.series.entries()) {
    const color = PALETTE[si % PALETTE.length];
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(x(p[0]))} ${num(y(p[1]))}`).join(' ');
    if (s.points.length > 1) body += `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    for (const p of s.points) body += `<circle cx="${num(x(p[0]))}" cy="${num(y(p[1]))}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: (${defaultFormat(p[0])}, ${defaultFormat(p[1])})`)}</title></circle>`;
  }
  return frame(c.title, body);
}

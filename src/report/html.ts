/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched): what `--report`
 * writes. The generator meta tag marks the file as ours, so a later run may replace it without
 * --force (src/node/report.ts); any other file at that path is the user's and is never overwritten.
 */
import { escapeXml } from './svg.js';

export const REPORT_GENERATOR = 'sparsecnn report';

export interface ReportTable {
  readonly head: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface ReportSection {
  readonly heading: string;
  /** Paragraphs (plain text, escaped). */
  readonly text?: readonly string[];
  /** SVG charts (from svg.ts), inlined as they are. */
  readonly charts?: readonly string[];
  readonly table?: ReportTable;
}

export interface Report {
  readonly title: string;
  /** Lines under the title: machine, date, command. */
  readonly meta: readonly string[];
  readonly sections: readonly ReportSection[];
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:780px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#666;font-size:.9em;margin:.1em 0}table{border-collapse:collapse;margin:1em 0;font-size:.92em}
td,th{border:1px solid #ddd;padding:.3em .6em;text-align:right}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}
svg{max-width:100%;height:auto;margin:.5em 0}`;

export function renderReport(r: Report): string {
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta name="generator" content="${REPORT_GENERATOR}">`,
    `<title>${escapeXml(r.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeXml(r.title)}</h1>`,
    ...r.meta.map((m) => `<p class="meta">${escapeXml(m)}</p>`),
  ];
  for (const s of r.sections) {
    parts.push(`<h2>${escapeXml(s.heading)}</h2>`);
    for (const t of s.text ?? []) parts.push(`<p>${escapeXml(t)}</p>`);
    for (const c of s.charts ?? []) parts.push(c);
    if (s.table !== undefined) {
      parts.push('<table><thead><tr>' + s.table.head.map((h) => `<th>${escapeXml(h)}</th>`).join('') + '</tr></thead><tbody>');
      for (const row of s.table.rows) parts.push('<tr>' + row.map((v) => `<td>${escapeXml(String(v))}</td>`).join('') + '</tr>');
      parts.push('</tbody></table>');
    }
  }
  parts.push('</body></html>', '');
  return parts.join('\n');
}

/** Report charts and pages: what the data says is what the SVG draws, labels are escaped, files the user wrote are safe. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeReport } from '../src/node/report.js';
import { renderReport } from '../src/report/html.js';
import { barChart, lineChart, niceTicks } from '../src/report/svg.js';

/** Every opened tag is closed in order (self-closing ones excepted): the markup nests. */
function assertBalanced(xml: string): void {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self === '/') continue;
    if (close === '/') assert.equal(stack.pop(), name, `</${name}> closes <${stack.at(-1) ?? 'nothing'}>`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'unclosed tags');
}

describe('report charts', () => {
  it('niceTicks covers the data range with round steps', () => {
    for (const [lo, hi] of [[0, 91], [0, 7.42], [3.8, 5.4], [-2, 5], [0, 0.003], [12, 12]] as const) {
      const t = niceTicks(lo, hi);
      assert.ok(t[0]! <= lo && t[t.length - 1]! >= hi, `[${t}] covers [${lo}, ${hi}]`);
      assert.ok(t.length >= 2 && t.length <= 12, `${t.length} ticks`);
      const step = t[1]! - t[0]!;
      for (let i = 1; i < t.length; i++) assert.ok(Math.abs(t[i]! - t[i - 1]! - step) < step * 1e-9, 'even steps');
    }
  });

  it('a bar chart draws one bar per (group, series), taller for larger values, with escaped labels', () => {
    const svg = barChart({ title: 'speed <&> "ratio"', yLabel: 'ms', series: ['a', 'b'], groups: [{ label: 'x<1>', values: [1, 4] }, { label: 'y', values: [2, 3] }] });
    assertBalanced(svg);
    assert.ok(!svg.includes('x<1>') && svg.includes('x&lt;1&gt;') && svg.includes('speed &lt;&amp;&gt; &quot;ratio&quot;'));
    const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="[^"]+"><title>([^<]*)<\/title>/g)];
    assert.equal(bars.length, 4);
    const h = (label: string): number => Number(bars.find((b) => b[5]!.startsWith(label))![4]);
    assert.ok(h('x&lt;1&gt;, b') > h('y, b') && h('y, b') > h('y, a') && h('y, a') > h('x&lt;1&gt;, a'), 'bar heights follow the values');
    assert.ok(Math.abs(h('x&lt;1&gt;, b') / h('x&lt;1&gt;, a') - 4) < 0.01, 'heights are proportional from a zero baseline');
  });

  it('a line chart draws every point; bad data is an error, not a broken picture', () => {
    const svg = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'train', points: [[1, 2.3], [2, 1.9], [3, 1.5]] }, { name: 'test', points: [[3, 1.7]] }] });
    assertBalanced(svg);
    assert.equal([...svg.matchAll(/<circle /g)].length, 4);
    assert.equal([...svg.matchAll(/<path /g)].length, 1, 'a one-point series has no line');
    assert.throws(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[1, Number.NaN]] }] }), /not a finite number/);
    assert.throws(() => barChart({ title: 't', yLabel: 'y', series: ['a', 'b'], groups: [{ label: 'g', values: [1] }] }), /1 values for 2 series/);
    assert.throws(() => barChart({ title: 't', yLabel: 'y', series: ['a'], groups: [] }), /no data/);
  });
});

describe('report files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsecnn-report-'));
  const report = { title: 'T & co', meta: ['machine <x>'], sections: [{ heading: 'H', text: ['p <b>'], charts: [barChart({ title: 'c', yLabel: 'y', series: ['s'], groups: [{ label: 'g', values: [1] }] })], table: { head: ['a', 'b'], rows: [['1', 2]] } }] };

  it('renders a self-contained page: no scripts, text escaped, balanced markup', () => {
    const html = renderReport(report);
    assert.ok(!/<script/i.test(html) && !/https?:\/\//.test(html.replace('http://www.w3.org/2000/svg', '')), 'nothing to run or fetch');
    assert.ok(html.includes('T &amp; co') && html.includes('p &lt;b&gt;') && html.includes('<td>2</td>'));
    assertBalanced(html.replace(/<!doctype html>/i, '').replace(/<meta [^>]*>/g, ''));
  });

  it('never overwrites a file the user wrote without --force; replaces its own earlier report', () => {
    const user = join(dir, 'notes.html');
    writeFileSync(user, '<p>mine</p>');
    assert.throws(() => writeReport(user, report), /exists and is not a sparsecnn report; pass --force/);
    assert.equal(readFileSync(user, 'utf8'), '<p>mine</p>');
    writeReport(user, report, true);
    assert.match(readFileSync(user, 'utf8'), /T &amp; co/);
    const own = join(dir, 'r.html');
    writeReport(own, report);
    writeReport(own, { ...report, title: 'second' });
    assert.match(readFileSync(own, 'utf8'), /<h1>second<\/h1>/);
    assert.throws(() => writeReport(join(dir, 'r.txt'), report), /ending in \.html/);
    assert.throws(() => writeReport(join(dir, 'missing', 'r.html'), report), /does not exist/);
  });
});

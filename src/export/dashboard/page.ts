import { createHash } from 'node:crypto';
import { OVERHEAD_CHART_BODY, OVERHEAD_CHART_SCRIPT } from './overheadChart';
import { STYLE } from './pageStyle';
import { TABLES_SCRIPT } from './tablesScript';
import { WORKLOAD_SCRIPT } from './workloadScript';

/*
 * The dashboard: one HTML page with its CSS and script inline, no build step and no request
 * other than its own /api/summary. Charts are SVG built with DOM calls; every string from the
 * database (sandbox ids, backend names) goes in through textContent, never as markup. The CSP
 * below pins the inline script and style by hash, so even an injected tag could not run.
 */

const SCRIPT = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var COLORS = { success: '#2e9d6b', timeout: '#e0a100', error: '#d64545', bar: '#4a78c2', change: '#7a3fb0' };
  var byId = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) node.setAttribute(k, String(attrs[k]));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // Three significant digits, ms below a second and s above: the figures the tables and cards share.
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–';
    if (ms < 1000) return Number(ms.toPrecision(3)) + ' ms';
    var s = ms / 1000;
    return (s >= 1000 ? s.toFixed(0) : s.toPrecision(3)) + ' s';
  }
  function fmtSpan(ms) {
    var units = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']];
    for (var i = 0; i < units.length; i++) if (ms % units[i][0] === 0) return (ms / units[i][0]) + ' ' + units[i][1];
    return fmtMs(ms);
  }
  function fmtEdge(ms) { return ms < 1000 ? ms + 'ms' : (ms / 1000) + 's'; }
  function fmtTime(epochMs) { return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19) + 'Z'; }
  function fmtCount(n) { return Number(n).toLocaleString('en-US'); }

  function card(label, value, cls, testId) {
    var c = el('div', { 'class': 'card' + (cls ? ' ' + cls : ''), 'data-testid': testId });
    c.appendChild(el('div', { 'class': 'label' }, label));
    c.appendChild(el('div', { 'class': 'value' }, value));
    return c;
  }

  function renderTotals(t) {
    var box = clear(byId('totals'));
    box.appendChild(card('Runs', fmtCount(t.runs), '', 'total-runs'));
    box.appendChild(card('Mean', fmtMs(t.runs ? t.meanMs : null), '', 'total-mean'));
    box.appendChild(card('p95', fmtMs(t.runs ? t.p95Ms : null), '', 'total-p95'));
    box.appendChild(card('Max', fmtMs(t.runs ? t.maxMs : null), '', 'total-max'));
    box.appendChild(card('Alerts', fmtCount(t.alerts), t.alerts ? 'alert' : '', 'total-alerts'));
    box.appendChild(card('success / timeout / error', t.success + ' / ' + t.timeout + ' / ' + t.error, '', 'total-outcomes'));
  }

  function renderHistogram(h) {
    var box = clear(byId('histogram'));
    var first = -1, last = -1;
    h.counts.forEach(function (c, i) { if (c > 0) { if (first < 0) first = i; last = i; } });
    if (first < 0) { box.appendChild(el('div', { 'class': 'empty' }, 'No runs in range.')); return; }
    var W = 640, H = 220, top = 18, bottom = 34, left = 8;
    var n = last - first + 1, slot = (W - left * 2) / n, max = Math.max.apply(null, h.counts);
    var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Duration histogram' });
    for (var i = first; i <= last; i++) {
      var count = h.counts[i], x = left + (i - first) * slot;
      var height = max ? (H - top - bottom) * count / max : 0;
      var label = i < h.edgesMs.length ? '≤' + fmtEdge(h.edgesMs[i]) : '>' + fmtEdge(h.edgesMs[h.edgesMs.length - 1]);
      var bar = svgEl('rect', { x: x + 3, y: H - bottom - height, width: Math.max(1, slot - 6), height: height, fill: COLORS.bar, rx: 2 });
      bar.appendChild(svgEl('title', {}, label + ': ' + count + ' runs'));
      svg.appendChild(bar);
      svg.appendChild(svgEl('text', { x: x + slot / 2, y: H - bottom - height - 4, 'text-anchor': 'middle', 'class': 'count', 'data-bucket': label }, count));
      svg.appendChild(svgEl('text', { x: x + slot / 2, y: H - bottom + 14, 'text-anchor': 'middle' }, label));
    }
    svg.appendChild(svgEl('line', { x1: left, x2: W - left, y1: H - bottom, y2: H - bottom, stroke: '#c0c5cf' }));
    box.appendChild(svg);
  }

  function fmtChange(r) {
    if (r === null) return 'from 0';
    var pct = r * 100;
    return (pct >= 0 ? '+' : '-') + Math.abs(pct).toFixed(Math.abs(pct) >= 10 ? 0 : 1) + ' %';
  }
  function fmtP(p) { return p === 0 ? '0' : p >= 1e-4 ? String(Number(p.toPrecision(2))) : p.toExponential(1); }

  // Change points as dashed lines on the time chart, each titled like the CLI's line for it.
  function renderMarks(svg, t, marks, geometry) {
    var start = t.bins[0].start, end = t.bins[t.bins.length - 1].start + t.binMs, shown = 0;
    (marks || []).forEach(function (m) {
      if (m.time < start || m.time >= end) return;
      var x = geometry.left + ((m.time - start) / t.binMs) * geometry.slot;
      var series = m.workload === null ? m.backend : m.backend + ' (' + (m.workloadLabel || m.workload) + ')';
      var label = fmtChange(m.relativeChange) + ' ' + m.metric + ' on ' + series;
      var g = svgEl('g', { 'class': 'change', 'data-change-backend': m.backend, 'data-change-time': m.time });
      g.appendChild(svgEl('line', { x1: x, x2: x, y1: geometry.top - 6, y2: geometry.bottomY, stroke: COLORS.change, 'stroke-width': 1.5, 'stroke-dasharray': '4 3' }));
      g.appendChild(svgEl('text', { x: x + 3, y: geometry.top + 2 + (shown % 3) * 12, 'class': 'change-label' }, fmtChange(m.relativeChange) + ' ' + series));
      g.appendChild(svgEl('title', {}, label + ' since ' + fmtTime(m.time) + ' (p = ' + fmtP(m.pValue) + '): mean ' + fmtMs(m.meanBeforeMs) + ' → ' + fmtMs(m.meanAfterMs)));
      svg.appendChild(g);
      shown++;
    });
    return shown;
  }

  function renderTimeline(t, marks) {
    var box = clear(byId('timeline'));
    if (!t.bins.length) { box.appendChild(el('div', { 'class': 'empty' }, 'No runs in range.')); return; }
    var W = 640, H = 220, top = 16, bottom = 30, left = 34, right = 8;
    var max = 0;
    t.bins.forEach(function (b) { max = Math.max(max, b.success + b.timeout + b.error); });
    var slot = (W - left - right) / t.bins.length, scale = (H - top - bottom) / (max || 1);
    var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Runs over time' });
    t.bins.forEach(function (b, i) {
      var y = H - bottom, x = left + i * slot;
      ['success', 'timeout', 'error'].forEach(function (k) {
        if (!b[k]) return;
        var h = b[k] * scale;
        y -= h;
        var r = svgEl('rect', { x: x + 0.5, y: y, width: Math.max(1, slot - 1), height: h, fill: COLORS[k] });
        r.appendChild(svgEl('title', {}, fmtTime(b.start) + ': ' + b[k] + ' ' + k));
        svg.appendChild(r);
      });
    });
    svg.appendChild(svgEl('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, stroke: '#c0c5cf' }));
    svg.appendChild(svgEl('text', { x: left - 4, y: top + 4, 'text-anchor': 'end' }, max));
    svg.appendChild(svgEl('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, 0));
    svg.appendChild(svgEl('text', { x: left, y: H - 8 }, fmtTime(t.bins[0].start)));
    svg.appendChild(svgEl('text', { x: W - right, y: H - 8, 'text-anchor': 'end' }, fmtTime(t.bins[t.bins.length - 1].start + t.binMs)));
    var changes = renderMarks(svg, t, marks, { left: left, slot: slot, top: top, bottomY: H - bottom });
    box.appendChild(svg);
    byId('timeline-bin').textContent = '· one bar per ' + fmtSpan(t.binMs) +
      (changes ? ' · ' + changes + ' change point' + (changes === 1 ? '' : 's') + ' (dashed; hover for details)' : '');
  }

  function renderMachineWarning(text) {
    var box = byId('machine-warning');
    box.textContent = text ? 'Warning: ' + text : '';
    box.hidden = !text;
  }

  // Statistics of the successful runs only, as compare reports them; timed-out and failed runs counted apart.
  function renderBackends(rows) {
    var box = clear(byId('backends'));
    if (!rows.length) { box.appendChild(el('div', { 'class': 'empty' }, 'No runs in range.')); return; }
    var table = el('table');
    var head = el('tr');
    ['Backend', 'Successful runs', 'timeout / error', 'Mean', 'p50', 'p95', 'Max', 'Alerts', ''].forEach(function (h) { head.appendChild(el('th', {}, h)); });
    table.appendChild(head);
    var maxMean = Math.max.apply(null, rows.map(function (r) { return r.meanMs || 0; }));
    rows.forEach(function (r) {
      var tr = el('tr', { 'data-backend': r.backend });
      tr.appendChild(el('td', { 'class': 'name', title: r.backend }, r.backend));
      tr.appendChild(el('td', { 'data-col': 'count' }, fmtCount(r.count)));
      tr.appendChild(el('td', { 'data-col': 'failed', 'class': r.failed.timeout + r.failed.error ? 'failed' : '' }, r.failed.timeout + ' / ' + r.failed.error));
      tr.appendChild(el('td', { 'data-col': 'mean' }, fmtMs(r.meanMs)));
      tr.appendChild(el('td', { 'data-col': 'p50' }, fmtMs(r.p50Ms)));
      tr.appendChild(el('td', { 'data-col': 'p95' }, fmtMs(r.p95Ms)));
      tr.appendChild(el('td', { 'data-col': 'max' }, fmtMs(r.maxMs)));
      tr.appendChild(el('td', { 'data-col': 'alerts' }, fmtCount(r.alerts)));
      var barCell = el('td', { 'class': 'text' });
      if (r.meanMs !== null) {
        var svg = svgEl('svg', { viewBox: '0 0 160 12', width: 160, height: 12 });
        svg.appendChild(svgEl('rect', { x: 0, y: 1, height: 10, rx: 2, width: Math.max(1, 160 * r.meanMs / (maxMean || 1)), fill: r.backend === 'none' ? '#9aa4b2' : COLORS.bar }));
        barCell.appendChild(svg);
      }
      tr.appendChild(barCell);
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

${WORKLOAD_SCRIPT}
${TABLES_SCRIPT}
  function showError(message) {
    var box = byId('status');
    box.textContent = message;
    box.hidden = false;
  }

${OVERHEAD_CHART_SCRIPT}
  function load() {
    var range = byId('range').value;
    var query = range === 'all' ? '' : '?since=' + (Date.now() - Number(range));
    return fetch('api/summary' + query, { headers: { Accept: 'application/json' } })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (body.error) { showError(body.error); return; }
        byId('status').hidden = true;
        byId('source').textContent = body.path + ' · schema v' + body.summary.schemaVersion + ' · updated ' + fmtTime(body.generatedAt);
        var s = body.summary;
        renderTotals(s.totals);
        renderHistogram(s.histogram);
        renderTimeline(s.timeline, s.changes);
        renderOverheadOverTime(s.overheadOverTime);
        renderBackends(s.backends);
        renderWorkloads(s.workloads);
        renderMachineWarning(s.machineWarning);
        renderAlerts(s.recentAlerts);
        renderPools(body.pools);
        document.body.setAttribute('data-loaded', 'true');
      })
      .catch(function (error) { showError('Could not load the summary: ' + error.message); });
  }

  byId('range').addEventListener('change', load);
  load();
  setInterval(function () { if (!document.hidden) load(); }, 15000);
})();
`;

const BODY = `<header>
  <h1>sandbox-perf</h1>
  <span class="meta" id="source">loading…</span>
  <label>Range <select id="range">
    <option value="all">all history</option>
    <option value="3600000">last hour</option>
    <option value="86400000">last 24 h</option>
    <option value="604800000">last 7 days</option>
  </select></label>
</header>
<main>
  <section class="wide"><div id="status" class="error" hidden></div><div class="cards" id="totals"></div></section>
  <section><h2>Duration histogram</h2><div id="histogram"></div></section>
  <section><h2>Runs over time <span class="note" id="timeline-bin"></span></h2><div id="timeline"></div>
    <div class="legend"><span><i class="k-success"></i>success</span><span><i class="k-timeout"></i>timeout</span><span><i class="k-error"></i>error</span></div></section>
  <section class="wide"><h2>Overhead per workload <span class="note">ratios and differences against none within each workload only; successful runs (failed and timed-out ones counted apart); after none, most costly first by the whole cost of isolation (fixed + inside the command)</span></h2><div id="machine-warning" class="error" hidden></div><div id="workloads"></div></section>
  ${OVERHEAD_CHART_BODY}
  <section class="wide"><h2>Runs per backend <span class="note">all workloads together: no ratio; statistics of successful runs, timed-out and failed ones counted apart</span></h2><div id="backends"></div></section>
  <section class="wide"><h2>Recent overhead alerts</h2><div id="alerts"></div></section>
  <section class="wide" id="pools-section" hidden><h2>Sandbox pools</h2><div id="pools"></div></section>
</main>`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page served at `/`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sandbox-perf dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

/** Allows exactly the inline style and script above, and fetches to this origin only. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/*
 * The dashboard's "Overhead over time" section: per backend, the fixed cost (median overheadMs of
 * each time bin, every workload together) and the canary's slowdown inside the command (median
 * command time against none, one point per round). Its script runs inside the page's script
 * (page.ts), using the helpers defined there (el, svgEl, clear, fmtMs, fmtTime, byId); the data is
 * summary.overheadOverTime (src/state/read/overheadOverTime.ts). Names go in through textContent.
 */

export const OVERHEAD_CHART_STYLE = String.raw`
.overhead-charts { display:grid; gap:16px; grid-template-columns:repeat(auto-fit,minmax(400px,1fr)); }
.overhead-charts h3 { font-size:12px; font-weight:500; color:var(--muted); margin:0 0 6px; }
.legend svg.swatch { display:inline-block; width:10px; height:10px; margin-right:4px; vertical-align:-1px; }
`;

export const OVERHEAD_CHART_BODY = `<section class="wide"><h2>Overhead over time <span class="note">fixed cost: what isolation adds around the command (median per bar of the runs-over-time chart); slowdown: the command's own time against none, per canary round (sandbox-perf serve --canary)</span></h2>
  <div class="overhead-charts"><div><h3>Fixed cost per run (median durationMs − commandMs)</h3><div id="overhead-fixed"></div></div>
  <div><h3>Slowdown inside the command (× none, canary rounds)</h3><div id="overhead-canary"></div></div></div></section>`;

export const OVERHEAD_CHART_SCRIPT = String.raw`
  var SERIES_COLORS = ['#4a78c2', '#d64545', '#2e9d6b', '#e0a100', '#7a3fb0', '#00838f', '#8d6e63', '#546e7a'];

  // One line chart: series of { key, name, color, points: [{ x, y, title, attrs }] }, a y floor, an optional reference line.
  function lineChart(box, series, options) {
    var W = 640, H = 220, top = 14, bottom = 30, left = 52, right = 10;
    var xs = [], ys = [options.yMin];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p.x); if (p.y !== null) ys.push(p.y); }); });
    if (options.reference !== undefined) ys.push(options.reference);
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y1 = Math.max.apply(null, ys) * 1.08;
    var y0 = options.yMin;
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 <= y0) y1 = y0 + 1;
    var sx = function (x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
    var sy = function (y) { return H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom); };
    var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': options.label });
    svg.appendChild(svgEl('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, stroke: '#c0c5cf' }));
    svg.appendChild(svgEl('text', { x: left - 4, y: top + 4, 'text-anchor': 'end' }, options.fmtY(y1)));
    svg.appendChild(svgEl('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, options.fmtY(y0)));
    if (options.reference !== undefined) {
      var ry = sy(options.reference);
      svg.appendChild(svgEl('line', { x1: left, x2: W - right, y1: ry, y2: ry, stroke: '#9aa4b2', 'stroke-dasharray': '4 3' }));
      svg.appendChild(svgEl('text', { x: left - 4, y: ry + 4, 'text-anchor': 'end' }, options.fmtY(options.reference)));
    }
    svg.appendChild(svgEl('text', { x: left, y: H - 8 }, fmtTime(x0)));
    svg.appendChild(svgEl('text', { x: W - right, y: H - 8, 'text-anchor': 'end' }, fmtTime(x1)));
    var legend = el('div', { 'class': 'legend' });
    series.forEach(function (s) {
      var g = svgEl('g', { 'data-series': s.key });
      var d = '';
      s.points.forEach(function (p) { if (p.y !== null) d += (d ? ' L' : 'M') + sx(p.x).toFixed(1) + ' ' + sy(p.y).toFixed(1); });
      if (d) g.appendChild(svgEl('path', { d: d, fill: 'none', stroke: s.color, 'stroke-width': 1.5 }));
      s.points.forEach(function (p) {
        if (p.y === null) return;
        var attrs = { cx: sx(p.x), cy: sy(p.y), r: 3, fill: s.color };
        for (var k in p.attrs) attrs[k] = p.attrs[k];
        var dot = svgEl('circle', attrs);
        dot.appendChild(svgEl('title', {}, p.title));
        g.appendChild(dot);
      });
      svg.appendChild(g);
      var item = el('span');
      var swatch = svgEl('svg', { viewBox: '0 0 10 10', width: 10, height: 10, 'class': 'swatch' });
      swatch.appendChild(svgEl('rect', { width: 10, height: 10, rx: 2, fill: s.color }));
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      legend.appendChild(item);
    });
    box.appendChild(svg);
    box.appendChild(legend);
  }

  function renderOverheadOverTime(o) {
    var fixedBox = clear(byId('overhead-fixed')), canaryBox = clear(byId('overhead-canary'));
    if (!o) o = { binMs: 1000, fixedCost: [], canary: [] };
    // One colour per backend in both charts.
    var names = [];
    o.fixedCost.forEach(function (s) { if (names.indexOf(s.backend) < 0) names.push(s.backend); });
    o.canary.forEach(function (s) { if (names.indexOf(s.backend) < 0) names.push(s.backend); });
    names.sort();
    var color = function (backend) { return SERIES_COLORS[names.indexOf(backend) % SERIES_COLORS.length]; };

    if (!o.fixedCost.length) fixedBox.appendChild(el('div', { 'class': 'empty' }, 'No run with a timed command in range.'));
    else lineChart(fixedBox, o.fixedCost.map(function (s) {
      return { key: s.backend, name: s.backend, color: color(s.backend), points: s.points.map(function (p) {
        return { x: p.start + o.binMs / 2, y: p.medianMs, title: s.backend + ' · ' + fmtTime(p.start) + ': median ' + fmtMs(p.medianMs) + ' over ' + p.runs + ' run' + (p.runs === 1 ? '' : 's'),
          attrs: { 'data-backend': s.backend, 'data-start': p.start } };
      }) };
    }), { yMin: 0, label: 'Fixed cost per run over time', fmtY: fmtMs });

    if (!o.canary.length) canaryBox.appendChild(el('div', { 'class': 'empty' }, 'No canary round in range: sandbox-perf serve --canary -- COMMAND runs one every 10 min.'));
    else lineChart(canaryBox, o.canary.map(function (s) {
      return { key: s.backend + ' · ' + s.workload, name: s.backend + ' · ' + s.label, color: color(s.backend), points: s.rounds.map(function (r) {
        var shown = r.ratio === null ? 'no ratio' : r.ratio.toFixed(2) + ' ×';
        return { x: r.round, y: r.ratio, title: s.backend + ' · ' + s.label + ' · round ' + fmtTime(r.round) + ': ' + shown + ' (' + r.pairs + ' pair' + (r.pairs === 1 ? '' : 's') + (r.basis === 'duration' ? ', whole runs: no command timer' : '') + ')',
          attrs: { 'data-backend': s.backend, 'data-round': r.round, 'data-ratio': r.ratio === null ? '' : r.ratio } };
      }) };
    }), { yMin: 0, reference: 1, label: 'Canary: slowdown inside the command over time', fmtY: function (y) { return y.toFixed(2) + ' ×'; } });
  }
`;

/*
 * The dashboard's "Recent overhead alerts" and "Sandbox pools" tables, as script text that page.ts
 * places inside its inline script (it uses that script's el, clear, byId, fmtMs, fmtTime and
 * fmtCount). Every value from the history goes in through textContent.
 */
export const TABLES_SCRIPT = String.raw`
  function renderAlerts(rows) {
    var box = clear(byId('alerts'));
    if (!rows.length) { box.appendChild(el('div', { 'class': 'empty' }, 'No overhead alerts in range.')); return; }
    var table = el('table');
    var head = el('tr');
    ['Started', 'Sandbox', 'Backend', 'Duration', 'Outcome'].forEach(function (h, i) { head.appendChild(el('th', { 'class': i === 1 || i === 2 ? 'text' : '' }, h)); });
    table.appendChild(head);
    rows.forEach(function (a) {
      var tr = el('tr', { 'data-sandbox': a.sandboxId });
      tr.appendChild(el('td', {}, fmtTime(a.startTime)));
      tr.appendChild(el('td', { 'class': 'text name', title: a.sandboxId }, a.sandboxId));
      tr.appendChild(el('td', { 'class': 'text name' }, a.backend));
      tr.appendChild(el('td', {}, fmtMs(a.durationMs)));
      tr.appendChild(el('td', {}, a.outcome));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  // A self-sizing pool's decision: bounds, target and cause in the cell, the reason and its measurements in the title.
  function sizingCell(a) {
    if (!a) return el('td', { 'class': 'text' }, 'fixed');
    var measured = a.arrivalRate.toFixed(2) + ' runs/s, refill ' + fmtMs(a.refillMs) + ', misses ' + (100 * a.missRate).toFixed(1) + '%';
    return el('td', { 'class': 'text', 'data-cause': a.cause, title: a.reason + ' (' + measured + ')' },
      a.min + '–' + a.max + ', target ' + a.target + ' (' + a.cause + '; ' + measured + ')');
  }

  function renderPools(rows) {
    var section = byId('pools-section');
    section.hidden = !rows || !rows.length;
    if (section.hidden) return;
    var box = clear(byId('pools'));
    var table = el('table');
    var head = el('tr');
    ['Pool', 'Size', 'Sizing', 'Idle', 'Starting', 'In use', 'Waiting', 'Runs', 'Misses', 'Refills/s', 'Failures', 'Discarded', 'Last failure'].forEach(function (h, i) {
      head.appendChild(el('th', { 'class': i === 0 || i === 2 || i === 12 ? 'text' : '' }, h));
    });
    table.appendChild(head);
    rows.forEach(function (p) {
      var tr = el('tr', { 'data-pool': p.backend });
      tr.appendChild(el('td', { 'class': 'name' }, p.backend));
      tr.appendChild(el('td', {}, fmtCount(p.size)));
      tr.appendChild(sizingCell(p.autosize));
      [p.idle, p.starting, p.inUse, p.waiting, p.runs, p.misses].forEach(function (v) { tr.appendChild(el('td', {}, fmtCount(v))); });
      tr.appendChild(el('td', {}, p.refillsPerSecond.toFixed(2)));
      tr.appendChild(el('td', {}, fmtCount(p.failures)));
      tr.appendChild(el('td', {}, fmtCount(p.discarded)));
      tr.appendChild(el('td', { 'class': 'text name', title: p.lastFailure || '' }, p.lastFailure || '–'));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }
`;

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

  function renderPools(rows) {
    var section = byId('pools-section');
    section.hidden = !rows || !rows.length;
    if (section.hidden) return;
    var box = clear(byId('pools'));
    var table = el('table');
    var head = el('tr');
    ['Pool', 'Size', 'Idle', 'Starting', 'In use', 'Waiting', 'Runs', 'Misses', 'Refills/s', 'Failures', 'Discarded', 'Last failure'].forEach(function (h, i) {
      head.appendChild(el('th', { 'class': i === 0 || i === 11 ? 'text' : '' }, h));
    });
    table.appendChild(head);
    rows.forEach(function (p) {
      var tr = el('tr', { 'data-pool': p.backend });
      tr.appendChild(el('td', { 'class': 'name' }, p.backend));
      [p.size, p.idle, p.starting, p.inUse, p.waiting, p.runs, p.misses].forEach(function (v) { tr.appendChild(el('td', {}, fmtCount(v))); });
      tr.appendChild(el('td', {}, p.refillsPerSecond.toFixed(2)));
      tr.appendChild(el('td', {}, fmtCount(p.failures)));
      tr.appendChild(el('td', {}, fmtCount(p.discarded)));
      tr.appendChild(el('td', { 'class': 'text name', title: p.lastFailure || '' }, p.lastFailure || '–'));
      table.appendChild(tr);
    });
    box.appendChild(table);
  }
`;

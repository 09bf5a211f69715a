/*
 * The dashboard's "Overhead per workload" table, as script text that page.ts places inside its
 * inline script (it uses that script's el, clear, byId, fmtMs and fmtCount). One group of rows per
 * workload (summary.workloads, from readWorkloads): a ratio or difference is only ever taken
 * between backends of the same workload, against that workload's own `none` runs, with the run
 * counts of both sides. Failed and timed-out runs are counted by outcome and left out of every
 * duration, as `compare` does. Raw values ride along in data-* attributes for tests and tools.
 */
export const WORKLOAD_SCRIPT = String.raw`
  function fmtSigned(ms) { return (ms < 0 ? '−' : '+') + fmtMs(Math.abs(ms)); }
  function fmtPlusMinus(value, error, digits) {
    return value.toFixed(digits) + (error === null || error === undefined ? '' : ' ± ' + error.toFixed(digits));
  }

  function workloadRow(w, b, ratio) {
    var tr = el('tr', { 'data-workload': w.workload, 'data-backend': b.backend });
    tr.appendChild(el('td', { 'class': 'name', title: b.backend }, b.backend));
    tr.appendChild(el('td', { 'data-col': 'runs' }, fmtCount(b.runs)));
    tr.appendChild(el('td', { 'data-col': 'outcomes' }, b.outcomes.success + ' / ' + b.outcomes.timeout + ' / ' + b.outcomes.error));
    tr.appendChild(el('td', { 'data-col': 'mean', 'data-mean': b.meanMs, 'data-stddev': b.stddevMs },
      b.runs ? fmtMs(b.meanMs) + (b.runs > 1 ? ' ± ' + fmtMs(b.stddevMs) : '') : '–'));
    var ratioCell = el('td', { 'data-col': 'ratio' });
    var diffCell = el('td', { 'data-col': 'difference' });
    if (b.backend === 'none' && b.runs) {
      ratioCell.textContent = 'baseline';
    } else if (ratio && ratio.ratio) {
      ratioCell.setAttribute('data-ratio', ratio.ratio.ratio);
      ratioCell.setAttribute('data-error', ratio.ratio.error);
      ratioCell.setAttribute('data-runs', ratio.runs + '/' + ratio.baselineRuns);
      ratioCell.textContent = fmtPlusMinus(ratio.ratio.ratio, ratio.ratio.error, 2) + ' ×';
      ratioCell.appendChild(el('span', { 'class': 'runs' }, ' (' + ratio.runs + ' vs ' + ratio.baselineRuns + ' runs)'));
      diffCell.setAttribute('data-difference', ratio.difference.difference);
      diffCell.setAttribute('data-error', ratio.difference.error);
      diffCell.textContent = fmtSigned(ratio.difference.difference) + ' ± ' + fmtMs(ratio.difference.error);
    } else {
      ratioCell.textContent = '–';
      ratioCell.title = b.runs ? 'no successful none run of this workload' : 'no successful run';
    }
    tr.appendChild(ratioCell);
    tr.appendChild(diffCell);
    tr.appendChild(el('td', { 'data-col': 'command' }, fmtMs(b.medianCommandMs)));
    tr.appendChild(el('td', { 'data-col': 'overhead' }, fmtMs(b.medianOverheadMs)));
    return tr;
  }

  function renderWorkloads(rows) {
    var box = clear(byId('workloads'));
    if (!rows || !rows.length) {
      box.appendChild(el('div', { 'class': 'empty' }, 'No run in range names its workload (history before schema 5, or none recorded).'));
      return;
    }
    var table = el('table');
    var head = el('tr');
    ['Backend', 'Runs', 'success / timeout / error', 'Mean ± σ', 'vs none', 'Δ vs none', 'Command (median)', 'Overhead (median)'].forEach(function (h) {
      head.appendChild(el('th', {}, h));
    });
    table.appendChild(head);
    rows.forEach(function (w) {
      var group = el('tr', { 'class': 'group', 'data-workload-group': w.workload });
      group.appendChild(el('th', { colspan: 8, 'class': 'text', title: w.workload }, w.label === w.workload ? w.label : w.label + ' · ' + w.workload));
      table.appendChild(group);
      var byBackend = Object.create(null);
      w.vsBaseline.forEach(function (r) { byBackend[r.backend] = r; });
      // The baseline first, then the others as the query ordered them (by name).
      w.backends.filter(function (b) { return b.backend === 'none'; })
        .concat(w.backends.filter(function (b) { return b.backend !== 'none'; }))
        .forEach(function (b) { table.appendChild(workloadRow(w, b, byBackend[b.backend])); });
    });
    box.appendChild(table);
  }
`;

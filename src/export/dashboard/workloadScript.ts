/*
 * The dashboard's "Overhead per workload" table, as script text that page.ts places inside its
 * inline script (it uses that script's el, clear, byId, fmtMs and fmtCount). One group of rows per
 * workload (summary.workloads, from readWorkloads): a ratio or difference is only ever taken
 * between backends of the same workload, against that workload's own `none` runs, with the run
 * counts of both sides. Failed and timed-out runs are counted by outcome and left out of every
 * duration, as `compare` does. The Δ column is compare's paired interval (WorkloadRatio.paired),
 * the ratio hyperfine's; the isolation column the whole cost (WorkloadBackendReport.isolationMs:
 * fixed around the command + the command's time against none), which orders the backends after
 * none. Raw values ride along in data-* attributes for tests and tools.
 */
export const WORKLOAD_SCRIPT = String.raw`
  function fmtSigned(ms) { return (ms < 0 ? '−' : '+') + fmtMs(Math.abs(ms)); }
  function fmtPlusMinus(value, error, digits) {
    return value.toFixed(digits) + (error === null || error === undefined ? '' : ' ± ' + error.toFixed(digits));
  }

  // compare's paired interval: run against the none run beside it, mean difference [95 % t interval].
  function pairedCell(cell, paired) {
    cell.setAttribute('data-pairs', paired.pairs);
    cell.setAttribute('data-verdict', paired.verdict);
    var d = paired.difference;
    if (d === null) {
      cell.textContent = '–';
      cell.title = paired.pairs + ' run(s) next to a none run: a paired interval needs two';
      return;
    }
    cell.setAttribute('data-difference', d.estimate);
    cell.setAttribute('data-low', d.low);
    cell.setAttribute('data-high', d.high);
    cell.textContent = fmtSigned(d.estimate) + ' [' + fmtSigned(d.low) + ' … ' + fmtSigned(d.high) + ']';
    cell.appendChild(el('span', { 'class': 'runs' }, ' (' + paired.pairs + ' pairs)'));
    // An interval that contains 0: compare's "no significant difference", shown muted.
    if (paired.verdict === 'no significant difference') {
      cell.className = 'ns';
      cell.title = 'no significant difference: the interval contains 0';
    }
  }

  // The whole cost (issue 26.1): total [95 % interval], then its parts; what ranks the backends.
  function isolationCell(cost) {
    var cell = el('td', { 'data-col': 'isolation' });
    if (!cost) {
      cell.textContent = '–';
      cell.title = 'needs two successful timed runs of this workload here and on none';
      return cell;
    }
    cell.setAttribute('data-total', cost.total);
    cell.setAttribute('data-fixed', cost.fixed);
    cell.setAttribute('data-in-command', cost.inCommand);
    cell.setAttribute('data-low', cost.low);
    cell.setAttribute('data-high', cost.high);
    cell.textContent = fmtSigned(cost.total) + ' [' + fmtSigned(cost.low) + ' … ' + fmtSigned(cost.high) + ']';
    cell.appendChild(el('span', { 'class': 'runs' }, ' = fixed ' + fmtSigned(cost.fixed) + ', in command ' + fmtSigned(cost.inCommand)));
    return cell;
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
      pairedCell(diffCell, ratio.paired);
    } else {
      ratioCell.textContent = '–';
      ratioCell.title = b.runs ? 'no successful none run of this workload' : 'no successful run';
    }
    tr.appendChild(ratioCell);
    tr.appendChild(diffCell);
    tr.appendChild(el('td', { 'data-col': 'command' }, fmtMs(b.medianCommandMs)));
    tr.appendChild(el('td', { 'data-col': 'overhead' }, fmtMs(b.medianOverheadMs)));
    tr.appendChild(isolationCell(b.isolationMs));
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
    ['Backend', 'Runs', 'success / timeout / error', 'Mean ± σ', 'vs none', 'Δ vs none, paired (95 %)', 'Command (median)', 'Fixed, around the command (median)',
      'Isolation cost: fixed + in command (95 %)'].forEach(function (h) {
      head.appendChild(el('th', {}, h));
    });
    table.appendChild(head);
    rows.forEach(function (w) {
      var group = el('tr', { 'class': 'group', 'data-workload-group': w.workload });
      group.appendChild(el('th', { colspan: 9, 'class': 'text', title: w.workload }, w.label === w.workload ? w.label : w.label + ' · ' + w.workload));
      table.appendChild(group);
      var byBackend = Object.create(null);
      w.vsBaseline.forEach(function (r) { byBackend[r.backend] = r; });
      // The baseline first, then the others by their whole cost of isolation, most costly first (by name without one).
      var cost = function (b) { return b.isolationMs ? b.isolationMs.total : -Infinity; };
      w.backends.filter(function (b) { return b.backend === 'none'; })
        .concat(w.backends.filter(function (b) { return b.backend !== 'none'; }).sort(function (a, b) { return cost(b) - cost(a); }))
        .forEach(function (b) { table.appendChild(workloadRow(w, b, byBackend[b.backend])); });
    });
    box.appendChild(table);
  }
`;

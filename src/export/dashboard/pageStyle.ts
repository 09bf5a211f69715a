import { OVERHEAD_CHART_STYLE } from './overheadChart';

/** The dashboard page's inline style sheet (page.ts pins it by hash in the CSP). */
export const STYLE =
  String.raw`
:root { --fg:#1d2433; --muted:#667085; --line:#e4e7ec; --bg:#f7f8fa; --card:#fff; --ok:#2e9d6b; --warn:#e0a100; --bad:#d64545; --bar:#4a78c2; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:baseline; padding:14px 24px; background:var(--card); border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0; }
header .meta { color:var(--muted); font-size:12px; flex:1; }
main { padding:16px 24px; display:grid; gap:16px; grid-template-columns:repeat(auto-fit,minmax(440px,1fr)); }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; min-width:0; }
section.wide { grid-column:1/-1; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 10px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; }
.card { flex:1 1 110px; border:1px solid var(--line); border-radius:6px; padding:8px 12px; }
.card .label { color:var(--muted); font-size:12px; }
.card .value { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.card.alert .value { color:var(--bad); }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:right; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th:first-child, td:first-child, .text { text-align:left; }
td.name { max-width:260px; overflow:hidden; text-overflow:ellipsis; }
td.failed { color:var(--bad); }
td.ns { color:var(--muted); }
th { color:var(--muted); font-weight:500; font-size:12px; }
svg { display:block; width:100%; height:auto; }
svg text { font-size:11px; fill:var(--muted); }
svg text.count { fill:var(--fg); }
svg text.change-label { fill:#7a3fb0; font-size:10px; }
.empty, .error { color:var(--muted); padding:16px 0; }
.error { color:var(--bad); }
.legend { display:flex; gap:12px; font-size:12px; color:var(--muted); margin-top:6px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
.legend .k-success { background:var(--ok); } .legend .k-timeout { background:var(--warn); } .legend .k-error { background:var(--bad); }
h2 .note { text-transform:none; letter-spacing:0; font-weight:400; }
tr.group th { text-align:left; color:var(--fg); font-weight:600; padding-top:10px; max-width:0; overflow:hidden; text-overflow:ellipsis; }
td .runs { color:var(--muted); font-size:12px; }
select { font:inherit; }
` + OVERHEAD_CHART_STYLE;

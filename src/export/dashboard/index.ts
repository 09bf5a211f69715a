export { createDashboardHandler } from './dashboardHandler';
export { HistoryConnection } from './HistoryConnection';
export type { HistoryState } from './HistoryConnection';
export { DASHBOARD_HTML, DASHBOARD_CSP } from './page';
export { SummaryWorker, MAX_QUEUED_SUMMARIES } from './SummaryWorker';
export type { DashboardHandlerOptions } from './dashboardHandler';

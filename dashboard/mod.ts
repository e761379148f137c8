/**
 * The dashboard, for commands that start it (`npm run demo`, the CLI):
 * `runDashboard(options)` resolves once the page is served.
 */
export { type Dashboard, type DashboardOptions, runDashboard } from "./run_dashboard.ts";

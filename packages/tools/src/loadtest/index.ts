/** The load test: `runLoadTest` (library), its report, and the `parley loadtest` CLI. */
export { runLoadTest } from './run.js';
export type { LoadProgress, LoadTestHooks } from './run.js';
export {
  resolveOptions,
  LoadTestOptionError,
  DEFAULTS as LOADTEST_DEFAULTS,
  LIMITS as LOADTEST_LIMITS,
} from './options.js';
export type { LoadTestOptions } from './options.js';
export { formatTable } from './report.js';
export type {
  LoadReport,
  ServerFigures,
  CrossCheck,
  TimelinePoint,
  ServerTimelinePoint,
  PercentilesMs,
} from './report.js';
export { renderHtml } from './html.js';
export { histogramDelta, fetchMetrics, login as loginForToken } from './server-metrics.js';
export type { ServerMetrics, HistogramDelta } from './server-metrics.js';
export { runLoadtestCli, parseLoadtestArgs, LOADTEST_USAGE } from './cli.js';

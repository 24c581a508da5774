/**
 * @parley/tools — tooling built on the SDK, not SDK API: the `parley` CLI,
 * the load generator, the UDP impairment proxy (netem) and mouth-to-ear
 * trace analysis. Depends on @parley/client and @parley/protocol; nothing
 * depends on it but the CLI, the benchmarks and the tests.
 */
export { main as runCli } from './cli/main.js';
export { UsageError, ToolErrorCode, isUsageError } from './cli/usage-error.js';
export * from './loadtest/index.js';
export { NetemProxy, type NetemProxyOptions, type DirectionStats } from './netem/netem-proxy.js';
export { NetworkModel, type NetworkModelOptions, type Fate } from './netem/network-model.js';
export {
  parseTrace,
  matchFrames,
  TRACE_STAGES,
  summarize,
  stageFigures,
  type FrameTimeline,
  type StageSpec,
  type Summary,
  type StageFigures,
} from './trace/frames.js';
export {
  clickTrain,
  findOnsets,
  codecDelayMs,
  clickLatencies,
  type ClickTrainOptions,
  type OnsetOptions,
  type FrameDecoder,
  type ClickLatency,
} from './trace/clicks.js';
export { latencyReport, type LatencyRow, type LatencyReport, type ServerTime } from './trace/report.js';

/**
 * @parley/tools — tooling built on the SDK, not SDK API: the `parley` CLI,
 * the load generator, the UDP impairment proxy (netem) and audio through it,
 * mouth-to-ear trace analysis, and speech against its source (spectral
 * distance, alignment). Depends on @parley/client and @parley/protocol; nothing
 * depends on it but the CLI, the benchmarks and the tests.
 */
export { main as runCli } from './cli/main.js';
export { UsageError, ToolErrorCode, isUsageError } from './cli/usage-error.js';
export * from './loadtest/index.js';
export { NetemProxy, type NetemProxyOptions, type DirectionStats } from './netem/netem-proxy.js';
export { NetworkModel, type NetworkModelOptions, type Fate } from './netem/network-model.js';
export { speakThrough, type SpeakThroughOptions, type SpokenThrough } from './netem/speak-through.js';
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
export { Fft } from './speech/fft.js';
export { spectralDistance, type SpectralDistance, type SpectralDistanceOptions } from './speech/spectral.js';
export { align, warp, type Alignment, type AlignOptions } from './speech/align.js';
export { espeakSpeech, type EspeakOptions } from './speech/espeak.js';

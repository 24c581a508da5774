/**
 * @parley/client — the isomorphic core of a Parley participant: control
 * session, media sealing, sender pacing, receiver (jitter buffer + Opus +
 * mixer). Node-only pieces (UDP, Opus wasm loader, CLI) are in
 * `@parley/client/node`.
 */
export { VoiceClient, toWsUrl } from './core/voice-client.js';
export type {
  VoiceClientOptions,
  VoiceClientEvents,
  AudioPacketIn,
  VoiceClientStats,
  DisconnectInfo,
  ReconnectOptions,
  UserInfo,
} from './core/voice-client.js';
export { ControlConnection, ParleyClientError, ClientErrorCode } from './core/control.js';
export type {
  WebSocketLike,
  WebSocketFactory,
  ControlEvents,
  ControlConnectionOptions,
  ControlDrop,
  ControlDropReason,
  ControlStats,
  ClientErrorDetail,
  ClientErrorOptions,
} from './core/control.js';
export type { MediaTransport, UdpTransportFactory } from './core/media-transport.js';
export { StreamSender, BufferSource } from './core/sender.js';
export type { FrameSource, FrameEncoder, StreamSenderOptions, SenderStats } from './core/sender.js';
export { recordMix } from './core/recorder.js';
export type { FramePuller, FrameSink, RecordOptions } from './core/recorder.js';
export { FrameClock } from './core/clock.js';
export { Receiver } from './core/receiver.js';
export type { ReceiverOptions, ReceiverStats, ReceivedAudio } from './core/receiver.js';
export { Listener } from './core/listener.js';
export type { AudioSource, AudioOutput, ListenerOptions } from './core/listener.js';
export { UserVolumes, userKey } from './core/user-volumes.js';
export { TalkGate } from './core/talk-gate.js';
export type { VoiceMode, GateDecision, TalkGateOptions } from './core/talk-gate.js';
export type { UserVolumesOptions, VolumeTarget } from './core/user-volumes.js';
export { Impairment, mulberry32 } from './core/impair.js';
export { MediaCore } from './core/media-core.js';
export type { MediaCoreOptions, MediaDropReason, MediaDrops, ReceivedPacket } from './core/media-core.js';
export { MediaPath } from './core/media-path.js';
export type { MediaPathState, MediaPathOptions } from './core/media-path.js';
export { HelloHandshake } from './core/hello.js';
export {
  TRACE_EVENTS,
  TRACE_FORMAT_VERSION,
  DEFAULT_MAX_TRACE_EVENTS,
  TraceRecorder,
  traceClock,
} from './core/trace.js';
export type { TraceEvent, TraceEventName, FrameTracer } from './core/trace.js';
export * from './audio/index.js';
/** The project's one Result type (a value, or a reason for not producing one), from @parley/protocol. */
export type { Result } from '@parley/protocol';

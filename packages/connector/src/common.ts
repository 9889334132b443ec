/** Everything both entry points export besides connect(). */
export {
  SocktopError,
  InvalidUrlError,
  ConnectionFailedError,
  AuthFailedError,
  TlsError,
  CertificateError,
  TimeoutError,
  ConnectionClosedError,
  NotConnectedError,
  ProtocolError,
  DecodeError,
  AgentError,
  UnsupportedProtocolError,
  ERROR_CODES,
  isSocktopError,
  type CertificateProblem,
  type ConnectFailure,
  type ErrorCode,
} from "./errors.js";
export type { AgentConnection, ConnectionEvents, ConnectionState, ProcessesOptions } from "./connection.js";
export type { ReconnectStatus } from "./reconnect.js";
export {
  CONNECTOR_MIN_PROTOCOL_VERSION,
  CONNECTOR_PROTOCOL_VERSION,
  HEADER_MIN_PROTOCOL_VERSION,
  type AgentInfo,
} from "./negotiate.js";
export {
  Backoff,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ConnectOptions,
  type ReconnectOptions,
} from "./options.js";
export { CONNECTOR_VERSION } from "./version.js";
export { ALLOWED_SIGNALS, MAX_COMMAND_LENGTH, cgroupSubtree } from "@socktop/protocol";
export type {
  CgroupInfo,
  CgroupKind,
  CgroupsReply,
  ContainerRuntime,
  DiskIoEntry,
  DiskIoReply,
  LoadReply,
  SignalName,
  SignalReply,
  DiskInfo,
  JournalEntry,
  JournalReply,
  Metrics,
  NetworkInterface,
  ProcessDetails,
  ProcessEntry,
  ProcessListReply,
  ProcessMetricsReply,
  SeedGpu,
  ThreadInfo,
} from "@socktop/protocol";

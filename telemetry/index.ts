export * from './bus.js';
export * from './codec.js';
export { BoundedBuffer } from './buffer.js';
export { MemoryTelemetryBus } from './memory-bus.js';
export { IpcTelemetryPublisher, IpcTelemetrySubscriber, isIpcTelemetryEnvelope, type IpcTelemetryEnvelope } from './ipc-bus.js';
export { KafkaTelemetryPublisher, KafkaTelemetrySubscriber, ensureTelemetryTopics, kafkaLogCreator } from './kafka/index.js';
export { openTelemetry, nullTelemetryPublisher, type Telemetry, type TelemetryKind } from './open.js';

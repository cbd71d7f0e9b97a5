export const TELEMETRY_SCHEMA_VERSION = 1;
export type TelemetryTopic = 'runs' | 'events' | 'feedback';

export interface TelemetryMessage<T = unknown> {
  v: typeof TELEMETRY_SCHEMA_VERSION;
  topic: TelemetryTopic;
  /** app id, as the Kafka message key */
  key: string;
  atMs: number;
  payload: T;
}

/**
 * Telemetry from the nodes to the controller. Embedded: IPC through the controller
 * (telemetry/ipc-bus.ts). Real: Kafka topics fogsim.runs / fogsim.events / fogsim.feedback
 * (telemetry/kafka/, FOGSIM_KAFKA_BROKERS). Publishing never throws for an outage:
 * the bus buffers a bounded amount, logs it, and catches up. The store never depends on it.
 */
export interface TelemetryPublisher {
  publish(topic: TelemetryTopic, key: string, payload: unknown): void;
  close(): Promise<void>;
}

export interface TelemetrySubscriber {
  subscribe(handler: (m: TelemetryMessage) => void): Promise<void>;
  close(): Promise<void>;
}

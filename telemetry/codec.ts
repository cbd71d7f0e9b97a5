import { TELEMETRY_SCHEMA_VERSION, type TelemetryMessage, type TelemetryTopic } from './bus.js';

export const TELEMETRY_TOPICS: readonly TelemetryTopic[] = ['runs', 'events', 'feedback'];

/** Kafka topic of a telemetry topic: `fogsim.runs` etc. (the prefix lets tests use private topics). */
export function kafkaTopicName(topic: TelemetryTopic, prefix = 'fogsim'): string {
  return `${prefix}.${topic}`;
}

export function makeMessage(topic: TelemetryTopic, key: string, payload: unknown, atMs = Date.now()): TelemetryMessage {
  return { v: TELEMETRY_SCHEMA_VERSION, topic, key, atMs, payload };
}

/**
 * Checks that a decoded value is a telemetry message of the version we speak. Returns a reason
 * string when it is not, so the subscriber can log and skip it (a newer producer must not crash
 * an older controller).
 */
export function checkMessage(x: unknown): TelemetryMessage | string {
  if (typeof x !== 'object' || x === null) return 'not an object';
  const m = x as Record<string, unknown>;
  if (m.v !== TELEMETRY_SCHEMA_VERSION) return `schema version ${JSON.stringify(m.v)} (this build reads v${TELEMETRY_SCHEMA_VERSION})`;
  if (!TELEMETRY_TOPICS.includes(m.topic as TelemetryTopic)) return `unknown topic ${JSON.stringify(m.topic)}`;
  if (typeof m.key !== 'string') return 'key is not a string';
  if (typeof m.atMs !== 'number') return 'atMs is not a number';
  return m as unknown as TelemetryMessage;
}

export function decodeMessage(raw: Buffer | string | null): TelemetryMessage | string {
  if (raw === null) return 'empty value';
  try {
    return checkMessage(JSON.parse(raw.toString()));
  } catch (e) {
    return `invalid JSON: ${(e as Error).message}`;
  }
}

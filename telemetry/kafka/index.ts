/** The Kafka telemetry bus by role: producer (nodes), consumer (controller), topic admin. */
export { createKafkaClient, kafkaLogCreator, type KafkaCommonOptions } from './client.js';
export { ensureTelemetryTopics, ensureTopics, fetchEndOffsets } from './admin.js';
export { KafkaTelemetryPublisher, type KafkaPublisherOptions, type PublisherState } from './producer.js';
export { KafkaTelemetrySubscriber, type KafkaSubscriberOptions } from './consumer.js';

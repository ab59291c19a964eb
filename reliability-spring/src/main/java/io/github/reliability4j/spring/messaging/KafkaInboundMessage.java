package io.github.reliability4j.spring.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.KafkaUtils;

/** A Kafka {@link ConsumerRecord}; the scope is the container's consumer group. */
final class KafkaInboundMessage extends InboundMessage {

  private final ConsumerRecord<?, ?> record;

  KafkaInboundMessage(Object record) {
    this.record = (ConsumerRecord<?, ?>) record;
  }

  static boolean isMessageType(Class<?> type) {
    return ConsumerRecord.class.isAssignableFrom(type);
  }

  static boolean isMessage(Object argument) {
    return argument instanceof ConsumerRecord<?, ?>;
  }

  /**
   * The exception that makes Spring Kafka's {@code DefaultErrorHandler} commit the offsets before
   * {@code record} in a batch, send {@code record} to its recoverer (at once: the cause is not
   * retryable) and redeliver the records after it. Its message includes the rejection's.
   */
  static RuntimeException batchFailed(MessageRejectedException rejected, Object record, int index) {
    return new BatchListenerFailedException(
        rejected.getMessage() + " (record " + index + " of the batch)",
        rejected,
        (ConsumerRecord<?, ?>) record);
  }

  /** The group of the listener container running on this thread, or null. */
  static String currentGroupId() {
    return KafkaUtils.getConsumerGroupId();
  }

  @Override
  Object raw() {
    return record;
  }

  @Override
  String header(String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : text(header.value());
  }

  @Override
  String defaultScope() {
    return currentGroupId();
  }

  @Override
  byte[] payload() {
    return bytesOf(record.value());
  }
}

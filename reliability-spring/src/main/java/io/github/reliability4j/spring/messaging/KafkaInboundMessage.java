package io.github.reliability4j.spring.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
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

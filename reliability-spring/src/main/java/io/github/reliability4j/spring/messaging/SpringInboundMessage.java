package io.github.reliability4j.spring.messaging;

import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;

/**
 * A Spring Messaging {@link Message} as Spring Kafka and Spring AMQP deliver it: the scope comes
 * from the {@code kafka_groupId} / {@code amqp_consumerQueue} headers.
 */
final class SpringInboundMessage extends InboundMessage {

  static final String KAFKA_GROUP_ID = "kafka_groupId";
  static final String KAFKA_TOPIC = "kafka_receivedTopic";
  static final String AMQP_QUEUE = "amqp_consumerQueue";
  static final String AMQP_MESSAGE_ID = "amqp_messageId";

  private final Message<?> message;

  SpringInboundMessage(Object message) {
    this.message = (Message<?>) message;
  }

  static boolean isMessageType(Class<?> type) {
    return Message.class.isAssignableFrom(type);
  }

  static boolean isMessage(Object argument) {
    return argument instanceof Message<?>;
  }

  @Override
  Object raw() {
    return message;
  }

  @Override
  String header(String name) {
    return text(message.getHeaders().get(name));
  }

  @Override
  String messageId() {
    return text(message.getHeaders().get(AMQP_MESSAGE_ID));
  }

  @Override
  String defaultScope() {
    MessageHeaders headers = message.getHeaders();
    if (headers.containsKey(AMQP_QUEUE)) {
      return text(headers.get(AMQP_QUEUE));
    }
    String group = text(headers.get(KAFKA_GROUP_ID));
    if (group == null && KAFKA && headers.containsKey(KAFKA_TOPIC)) {
      group = KafkaInboundMessage.currentGroupId();
    }
    return group;
  }

  @Override
  byte[] payload() {
    return bytesOf(message.getPayload());
  }

  @Override
  RuntimeException deadLetter(MessageRejectedException rejected) {
    return AMQP && message.getHeaders().containsKey(AMQP_QUEUE)
        ? AmqpInboundMessage.reject(rejected)
        : rejected;
  }
}

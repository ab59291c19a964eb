package io.github.reliability4j.spring.messaging;

import java.nio.charset.StandardCharsets;
import org.springframework.util.ClassUtils;

/**
 * The framework-neutral view of one delivered message that the listener interceptor needs. The
 * Kafka and AMQP views live in their own classes, loaded only when their framework is present.
 */
abstract class InboundMessage {

  private static final ClassLoader LOADER = InboundMessage.class.getClassLoader();
  static final boolean KAFKA =
      ClassUtils.isPresent("org.apache.kafka.clients.consumer.ConsumerRecord", LOADER)
          && ClassUtils.isPresent("org.springframework.kafka.support.KafkaUtils", LOADER);
  static final boolean AMQP = ClassUtils.isPresent("org.springframework.amqp.core.Message", LOADER);
  static final boolean MESSAGING =
      ClassUtils.isPresent("org.springframework.messaging.Message", LOADER);

  /** The raw message, root object of key and fingerprint expressions. */
  abstract Object raw();

  /** A header's value as a string (UTF-8 for bytes), or null. */
  abstract String header(String name);

  /** The AMQP {@code messageId} property, or null. */
  String messageId() {
    return null;
  }

  /** The consumer group or queue the message was consumed from, or null. */
  abstract String defaultScope();

  /** The payload's bytes for the fingerprint. */
  abstract byte[] payload();

  /** The exception to throw so that the framework dead-letters the message without retry. */
  RuntimeException deadLetter(MessageRejectedException rejected) {
    return rejected;
  }

  /** True if {@code type} is a supported raw message parameter type. */
  static boolean isMessageType(Class<?> type) {
    return (KAFKA && KafkaInboundMessage.isMessageType(type))
        || (AMQP && AmqpInboundMessage.isMessageType(type))
        || (MESSAGING && SpringInboundMessage.isMessageType(type));
  }

  /** Wraps {@code argument} (of a type accepted by {@link #isMessageType}). */
  static InboundMessage of(Object argument) {
    if (KAFKA && KafkaInboundMessage.isMessage(argument)) {
      return new KafkaInboundMessage(argument);
    }
    if (AMQP && AmqpInboundMessage.isMessage(argument)) {
      return new AmqpInboundMessage(argument);
    }
    if (MESSAGING && SpringInboundMessage.isMessage(argument)) {
      return new SpringInboundMessage(argument);
    }
    throw new IllegalArgumentException(
        "Not a ConsumerRecord, AMQP Message or Spring Message: "
            + (argument == null ? "null" : argument.getClass().getName()));
  }

  /** Canonical bytes of a payload object: bytes as is, text as UTF-8, else its string form. */
  static byte[] bytesOf(Object value) {
    if (value == null) {
      return new byte[0];
    }
    if (value instanceof byte[] bytes) {
      return bytes;
    }
    return value.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String text(Object headerValue) {
    if (headerValue == null) {
      return null;
    }
    if (headerValue instanceof byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    return headerValue.toString();
  }
}

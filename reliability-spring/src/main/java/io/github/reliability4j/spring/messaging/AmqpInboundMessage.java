package io.github.reliability4j.spring.messaging;

import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;

/** A Spring AMQP {@link Message}; the scope is the queue it was consumed from. */
final class AmqpInboundMessage extends InboundMessage {

  private final Message message;

  AmqpInboundMessage(Object message) {
    this.message = (Message) message;
  }

  static boolean isMessageType(Class<?> type) {
    return Message.class.isAssignableFrom(type);
  }

  static boolean isMessage(Object argument) {
    return argument instanceof Message;
  }

  /** Rejects without requeue, so the queue's dead-letter exchange receives the message. */
  static RuntimeException reject(MessageRejectedException rejected) {
    return new AmqpRejectAndDontRequeueException(rejected.getMessage(), rejected);
  }

  @Override
  Object raw() {
    return message;
  }

  @Override
  String header(String name) {
    MessageProperties properties = message.getMessageProperties();
    return text(properties.getHeader(name));
  }

  @Override
  String messageId() {
    return message.getMessageProperties().getMessageId();
  }

  @Override
  String defaultScope() {
    return message.getMessageProperties().getConsumerQueue();
  }

  @Override
  byte[] payload() {
    return message.getBody();
  }

  @Override
  RuntimeException deadLetter(MessageRejectedException rejected) {
    return reject(rejected);
  }
}

package io.github.reliability4j.spring.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.spring.idempotency.IdempotencyAutoConfiguration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.DefaultErrorHandler;

/** Conditions, start-up checks and bean wiring of the messaging auto-configurations. */
class MessagingAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  IdempotencyAutoConfiguration.class,
                  MessagingAutoConfiguration.class,
                  MessagingHealthAutoConfiguration.class));

  public static class GoodListener {
    @IdempotentListener(operation = "apply")
    public void on(ConsumerRecord<String, String> record) {}
  }

  public static class NoMessageParameter {
    @IdempotentListener(operation = "apply")
    public void on(String payload) {}
  }

  public static class BatchListener {
    @IdempotentListener(operation = "apply")
    public void on(java.util.List<ConsumerRecord<String, String>> records) {}
  }

  public static class PoisonOnBatch {
    @IdempotentListener(operation = "apply", poison = IllegalArgumentException.class)
    public void on(java.util.List<ConsumerRecord<String, String>> records) {}
  }

  public static class ListOfStrings {
    @IdempotentListener(operation = "apply")
    public void on(java.util.List<String> payloads) {}
  }

  public static class KeyAndFunction {
    @IdempotentListener(operation = "apply", key = "key()", keyFunction = "f")
    public void on(ConsumerRecord<String, String> record) {}
  }

  @Test
  void listenerAdviceIsConfiguredAndListenersAreProxied() {
    runner
        .withBean(GoodListener.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(IdempotentListenerInterceptor.class);
              assertThat(
                      org.springframework.aop.support.AopUtils.isAopProxy(
                          context.getBean(GoodListener.class)))
                  .isTrue();
            });
  }

  @Test
  void nothingWithoutKafkaAndAmqp() {
    runner
        .withClassLoader(
            new FilteredClassLoader("org.springframework.kafka", "org.springframework.amqp"))
        .run(context -> assertThat(context).doesNotHaveBean(IdempotentListenerInterceptor.class));
  }

  @Test
  void optOut() {
    runner
        .withPropertyValues("reliability.messaging.idempotency.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(IdempotentListenerInterceptor.class));
  }

  @Test
  void aListenerWithoutMessageParameterFailsStartUpNamingTheMethod() {
    runner
        .withBean(NoMessageParameter.class)
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .hasMessageContaining("NoMessageParameter.on")
                    .hasMessageContaining("ConsumerRecord"));
  }

  @Test
  void aBatchListenerStartsAndPoisonOnItOrAListOfPayloadsFailsStartUp() {
    runner.withBean(BatchListener.class).run(context -> assertThat(context).hasNotFailed());
    runner
        .withBean(PoisonOnBatch.class)
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .hasMessageContaining("PoisonOnBatch.on")
                    .hasMessageContaining("BatchListenerFailedException"));
    runner
        .withBean(ListOfStrings.class)
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .hasMessageContaining("ListOfStrings.on")
                    .hasMessageContaining("List<ConsumerRecord>"));
  }

  @Test
  void keyAndKeyFunctionTogetherFailStartUp() {
    runner
        .withBean(KeyAndFunction.class)
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .hasMessageContaining("both key and keyFunction"));
  }

  @Test
  void unknownListenerNameFailsStartUp() {
    runner
        .withBean(GoodListener.class)
        .withPropertyValues("reliability.messaging.idempotency.listeners.aply.concurrency=reject")
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .hasMessageContaining("reliability.messaging.idempotency.listeners.aply")
                    .hasMessageContaining("[apply]"));
  }

  @Test
  void rejectedMessagesAreNotRetriedByDefaultErrorHandlerBeans() {
    runner
        .withBean(DefaultErrorHandler.class, DefaultErrorHandler::new)
        .run(
            context -> {
              DefaultErrorHandler handler = context.getBean(DefaultErrorHandler.class);
              // removeClassification returns the classification it removed: false = not retryable.
              assertThat(handler.removeClassification(MessageRejectedException.class)).isFalse();
            });
  }

  @Test
  void probesAreRegisteredWhenClientsArePresentAndCanBeTurnedOff() {
    ApplicationContextRunner withClients =
        runner
            .withBean(
                KafkaAdmin.class, () -> new KafkaAdmin(Map.of("bootstrap.servers", "127.0.0.1:1")))
            .withBean(
                CachingConnectionFactory.class, () -> new CachingConnectionFactory("127.0.0.1", 1));
    withClients.run(
        context -> {
          assertThat(context).hasBean("reliabilityKafkaConsumerLagProbe");
          assertThat(context).hasBean("reliabilityRabbitProbe");
          assertThat(context.getBeansOfType(ProbeRegistration.class)).hasSize(2);
        });
    withClients
        .withPropertyValues(
            "reliability.messaging.health.kafka.enabled=false",
            "reliability.messaging.health.rabbit.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(ProbeRegistration.class));
    runner.run(context -> assertThat(context).doesNotHaveBean(ProbeRegistration.class));
  }
}

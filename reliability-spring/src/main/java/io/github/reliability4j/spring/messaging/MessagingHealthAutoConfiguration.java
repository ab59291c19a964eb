package io.github.reliability4j.spring.messaging;

import io.github.reliability4j.core.health.ProbeKind;
import io.github.reliability4j.core.health.ProbeRegistration;
import io.github.reliability4j.spring.health.HealthAutoConfiguration;
import io.github.reliability4j.spring.internal.PropertyChecks;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * Broker probes for the background health checker, registered when the client is present and
 * configured (each a {@link ProbeRegistration} bean, replaceable by name; {@code
 * reliability.messaging.health.enabled=false}, or {@code .kafka.enabled} / {@code .rabbit.enabled},
 * opts out):
 *
 * <ul>
 *   <li>{@code kafka-consumer-lag} ({@link KafkaConsumerLagProbe}) with a {@code KafkaAdmin} bean:
 *       the configured groups, or the groups of every listener container of the application;
 *   <li>{@code rabbitmq} ({@link RabbitQueueProbe}) with a Spring AMQP {@code ConnectionFactory}
 *       bean: the connection and the configured queues.
 * </ul>
 *
 * Both are readiness and deep probes of weight DEGRADING by default: a lagging consumer or a deep
 * queue makes readiness warn, not fail.
 */
@AutoConfiguration(
    before = HealthAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration",
      "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration"
    })
@ConditionalOnProperty(
    prefix = "reliability.health",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@ConditionalOnProperty(
    prefix = "reliability.messaging.health",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(MessagingProperties.class)
public class MessagingHealthAutoConfiguration {

  static final String KAFKA = "reliability.messaging.health.kafka.";

  static final String RABBIT = "reliability.messaging.health.rabbit.";

  static ProbeRegistration.Builder common(
      ProbeRegistration.Builder builder,
      String measurement,
      String prefix,
      MessagingProperties.Probe settings) {
    builder
        .componentType("messaging")
        .measurement(measurement)
        .kinds(ProbeKind.READINESS, ProbeKind.DEEP);
    PropertyChecks.apply(prefix + "weight", settings.getWeight(), builder::weight);
    if (settings.getInterval() != null) {
      PropertyChecks.apply(prefix + "interval", settings.getInterval(), builder::interval);
    }
    if (settings.getDeadline() != null) {
      PropertyChecks.apply(prefix + "deadline", settings.getDeadline(), builder::deadline);
    }
    return builder;
  }

  /** The Kafka lag probe. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {"org.apache.kafka.clients.admin.Admin", "org.springframework.kafka.core.KafkaAdmin"})
  @ConditionalOnBean(type = "org.springframework.kafka.core.KafkaAdmin")
  @ConditionalOnProperty(
      prefix = "reliability.messaging.health.kafka",
      name = "enabled",
      havingValue = "true",
      matchIfMissing = true)
  static class KafkaHealthConfiguration {

    @Bean(destroyMethod = "destroy")
    @ConditionalOnMissingBean(name = "reliabilityKafkaHealthAdmin")
    LazyAdmin reliabilityKafkaHealthAdmin(KafkaAdmin kafkaAdmin) {
      return new LazyAdmin(kafkaAdmin);
    }

    @Bean
    @ConditionalOnMissingBean(name = "reliabilityKafkaConsumerLagProbe")
    ProbeRegistration reliabilityKafkaConsumerLagProbe(
        MessagingProperties properties,
        LazyAdmin admin,
        ObjectProvider<KafkaListenerEndpointRegistry> registry) {
      MessagingProperties.Kafka kafka = properties.getHealth().getKafka();
      List<String> configured = List.copyOf(kafka.getGroups());
      Supplier<Collection<String>> groups =
          () -> configured.isEmpty() ? listenerGroups(registry.getIfAvailable()) : configured;
      // Validated by the probe's and the registration's builders: one rule per setting.
      KafkaConsumerLagProbe.Builder probe = KafkaConsumerLagProbe.builder(admin, groups);
      PropertyChecks.apply(KAFKA + "warn-lag", kafka.getWarnLag(), probe::warnLag);
      if (kafka.getFailLag() != 0) {
        PropertyChecks.apply(KAFKA + "fail-lag", kafka.getFailLag(), probe::failLag);
      }
      if (kafka.getWarnPartitionLag() != 0) {
        PropertyChecks.apply(
            KAFKA + "warn-partition-lag", kafka.getWarnPartitionLag(), probe::warnPartitionLag);
      }
      return common(
              ProbeRegistration.builder(
                  "kafka-consumer-lag",
                  PropertyChecks.build(KAFKA + "fail-lag", kafka.getFailLag(), probe::build)),
              "lag",
              KAFKA,
              kafka)
          .build();
    }

    static Collection<String> listenerGroups(KafkaListenerEndpointRegistry registry) {
      Set<String> groups = new LinkedHashSet<>();
      if (registry != null) {
        for (MessageListenerContainer container : registry.getListenerContainers()) {
          if (container.getGroupId() != null) {
            groups.add(container.getGroupId());
          }
        }
      }
      return groups;
    }
  }

  /** An Admin client created at the first evaluation from the KafkaAdmin's settings. */
  static final class LazyAdmin implements Supplier<Admin>, DisposableBean {
    private final KafkaAdmin kafkaAdmin;
    private Admin admin;

    LazyAdmin(KafkaAdmin kafkaAdmin) {
      this.kafkaAdmin = kafkaAdmin;
    }

    @Override
    public synchronized Admin get() {
      if (admin == null) {
        admin = Admin.create(kafkaAdmin.getConfigurationProperties());
      }
      return admin;
    }

    @Override
    public synchronized void destroy() {
      if (admin != null) {
        admin.close(Duration.ofSeconds(1));
        admin = null;
      }
    }
  }

  /** The RabbitMQ connection and queue probe. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.amqp.rabbit.connection.ConnectionFactory")
  @ConditionalOnBean(type = "org.springframework.amqp.rabbit.connection.ConnectionFactory")
  @ConditionalOnProperty(
      prefix = "reliability.messaging.health.rabbit",
      name = "enabled",
      havingValue = "true",
      matchIfMissing = true)
  static class RabbitHealthConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "reliabilityRabbitProbe")
    ProbeRegistration reliabilityRabbitProbe(
        MessagingProperties properties, ObjectProvider<ConnectionFactory> connectionFactory) {
      MessagingProperties.Rabbit rabbit = properties.getHealth().getRabbit();
      // Validated by the probe's and the registration's builders: one rule per setting.
      RabbitQueueProbe.Builder probe = RabbitQueueProbe.builder(connectionFactory.getObject());
      PropertyChecks.apply(RABBIT + "queues", rabbit.getQueues(), probe::queues);
      PropertyChecks.apply(RABBIT + "warn-depth", rabbit.getWarnDepth(), probe::warnDepth);
      PropertyChecks.apply(RABBIT + "min-consumers", rabbit.getMinConsumers(), probe::minConsumers);
      if (rabbit.getFailDepth() != 0) {
        PropertyChecks.apply(RABBIT + "fail-depth", rabbit.getFailDepth(), probe::failDepth);
      }
      return common(
              ProbeRegistration.builder(
                  "rabbitmq",
                  PropertyChecks.build(RABBIT + "fail-depth", rabbit.getFailDepth(), probe::build)),
              "depth",
              RABBIT,
              rabbit)
          .build();
    }
  }
}

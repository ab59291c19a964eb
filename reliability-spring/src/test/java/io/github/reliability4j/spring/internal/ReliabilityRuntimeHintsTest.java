package io.github.reliability4j.spring.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.reliability4j.spring.idempotency.IdempotencyProperties;
import io.github.reliability4j.spring.routing.RoutingProperties;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.core.env.PropertiesPropertySource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.io.support.PropertiesLoaderUtils;
import org.springframework.javapoet.ClassName;

/**
 * The native-image hints are complete (issue 20 item 6): every resource the library reads and every
 * type Spring instantiates reflectively from our factories files is covered, and Spring's AOT
 * processing of an application with the auto-configuration picks the registrar up.
 */
class ReliabilityRuntimeHintsTest {

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  static RuntimeHints registered() {
    RuntimeHints hints = new RuntimeHints();
    new ReliabilityRuntimeHints()
        .registerHints(hints, ReliabilityRuntimeHintsTest.class.getClassLoader());
    return hints;
  }

  /**
   * Every file in the library's resource directories, found on the class path, not listed by hand.
   */
  static List<String> libraryResources() throws IOException {
    Resource[] found =
        new PathMatchingResourcePatternResolver()
            .getResources("classpath*:io/github/reliability4j/**/*.*");
    return Arrays.stream(found)
        .filter(r -> !r.getFilename().endsWith(".class"))
        .map(
            r -> {
              try {
                String url = r.getURL().toString();
                return url.substring(url.indexOf("io/github/reliability4j/"));
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            })
        .distinct()
        .toList();
  }

  @Test
  void everyResourceTheLibraryShipsIsRegistered() throws IOException {
    List<String> resources = libraryResources();
    assertThat(resources)
        .as("the DDL resources of the JDBC store must be found")
        .contains(
            "io/github/reliability4j/jdbc/idempotency/schema-postgresql.sql",
            "io/github/reliability4j/jdbc/idempotency/schema-mariadb.sql");
    RuntimeHints hints = registered();
    for (String resource : resources) {
      assertThat(RuntimeHintsPredicates.resource().forResource(resource))
          .as(resource)
          .accepts(hints);
    }
    assertThat(RuntimeHintsPredicates.resource().forResource("io/github/reliability4j/other.txt"))
        .as("the pattern is not a blanket")
        .rejects(hints);
  }

  @Test
  void everyFactoryInOurSpringFactoriesCanBeInstantiated() throws Exception {
    // each jar's file on its own: merged, Spring Boot's entries would hide ours
    List<Properties> files = new java.util.ArrayList<>();
    for (java.net.URL url :
        java.util.Collections.list(
            getClass().getClassLoader().getResources("META-INF/spring.factories"))) {
      files.add(
          PropertiesLoaderUtils.loadProperties(new org.springframework.core.io.UrlResource(url)));
    }
    RuntimeHints hints = registered();
    int checked = 0;
    for (Properties factories : files) {
      for (String key : factories.stringPropertyNames()) {
        for (String type : factories.getProperty(key).split(",")) {
          if (!type.trim().startsWith("io.github.reliability4j.")) {
            continue;
          }
          Class<?> factory = Class.forName(type.trim());
          assertThat(
                  RuntimeHintsPredicates.reflection()
                      .onType(factory)
                      .withMemberCategory(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS))
              .as(type)
              .accepts(hints);
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(2);
  }

  @Test
  void annotationsReadFromApplicationMethodsAreRegistered() {
    RuntimeHints hints = registered();
    for (String annotation : ReliabilityRuntimeHints.ANNOTATIONS) {
      assertThat(
              RuntimeHintsPredicates.reflection()
                  .onType(org.springframework.aot.hint.TypeReference.of(annotation)))
          .as(annotation)
          .accepts(hints);
    }
  }

  @Test
  void springAotProcessingOfAnApplicationIncludesTheHints() {
    AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
    Properties properties = new Properties();
    properties.setProperty("reliability.idempotency.store", "memory");
    context
        .getEnvironment()
        .getPropertySources()
        .addFirst(new PropertiesPropertySource("test", properties));
    context.register(App.class);
    DefaultGenerationContext generation =
        new DefaultGenerationContext(
            new ClassNameGenerator(ClassName.get(App.class)), new InMemoryGeneratedFiles());

    new ApplicationContextAotGenerator().processAheadOfTime(context, generation);
    RuntimeHints hints = generation.getRuntimeHints();

    // ours, from META-INF/spring/aot.factories
    assertThat(
            RuntimeHintsPredicates.resource()
                .forResource("io/github/reliability4j/jdbc/idempotency/schema-postgresql.sql"))
        .accepts(hints);
    assertThat(
            RuntimeHintsPredicates.reflection()
                .onType(ReliabilityStartFailureAnalyzer.class)
                .withMemberCategory(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS))
        .accepts(hints);
    // Spring Boot's, for binding our @ConfigurationProperties in the image
    assertThat(RuntimeHintsPredicates.reflection().onType(IdempotencyProperties.class))
        .accepts(hints);
    assertThat(generation.getGeneratedFiles()).isNotNull();
    context.close();
  }

  @Test
  void routingPropertiesAreBindableWhenRoutingIsOn() {
    AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
    context.register(App.class);
    DefaultGenerationContext generation =
        new DefaultGenerationContext(
            new ClassNameGenerator(ClassName.get(App.class)), new InMemoryGeneratedFiles());
    new ApplicationContextAotGenerator().processAheadOfTime(context, generation);
    assertThat(RuntimeHintsPredicates.reflection().onType(RoutingProperties.class))
        .accepts(generation.getRuntimeHints());
    context.close();
  }
}

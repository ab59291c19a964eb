package io.github.reliability4j.spring.it;

import io.github.reliability4j.spring.idempotency.Idempotent;
import io.github.reliability4j.spring.routing.ReadConsistency;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * An application on a replicated PostgreSQL cluster (test kit): primary + one streaming replica.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class ReplicatedTestApp {

  @Bean
  SecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {
    http.csrf(c -> c.disable())
        .authorizeHttpRequests(a -> a.anyRequest().permitAll())
        .httpBasic(Customizer.withDefaults());
    return http.build();
  }

  @Bean
  ValuesService valuesService(JdbcTemplate jdbc) {
    return new ValuesService(jdbc);
  }

  /** Business logic with transactional boundaries, as an application would write it. */
  static class ValuesService {
    private final JdbcTemplate jdbc;

    ValuesService(JdbcTemplate jdbc) {
      this.jdbc = jdbc;
    }

    @Transactional
    public Map<String, Object> insertItem(String key, String name) {
      Long id =
          jdbc.queryForObject(
              "insert into it_items(k, name) values (?, ?) returning id", Long.class, key, name);
      return Map.of("id", id, "name", name);
    }

    @Transactional
    public void put(String k, String v) {
      jdbc.update(
          "insert into it_values(k, v) values (?, ?) on conflict (k) do update set v = excluded.v",
          k,
          v);
    }

    @Transactional(readOnly = true)
    public Map<String, Object> get(String k) {
      List<String> v = jdbc.queryForList("select v from it_values where k = ?", String.class, k);
      Map<String, Object> m = new HashMap<>();
      m.put("value", v.isEmpty() ? null : v.get(0));
      m.put("replica", jdbc.queryForObject("select pg_is_in_recovery()", Boolean.class));
      return m;
    }

    @Transactional(readOnly = true)
    public boolean readOnlyInRecovery() {
      return jdbc.queryForObject("select pg_is_in_recovery()", Boolean.class);
    }

    @Transactional
    public boolean readWriteInRecovery() {
      return jdbc.queryForObject("select pg_is_in_recovery()", Boolean.class);
    }

    @Transactional(readOnly = true)
    @ReadConsistency(ReadConsistency.Level.STRONG)
    public boolean strongInRecovery() {
      return jdbc.queryForObject("select pg_is_in_recovery()", Boolean.class);
    }
  }

  @RestController
  static class Api {
    private final ValuesService service;

    Api(ValuesService service) {
      this.service = service;
    }

    @Idempotent
    @PostMapping("/items")
    ResponseEntity<Map<String, Object>> create(@RequestBody Map<String, String> body) {
      return ResponseEntity.status(201).body(service.insertItem(body.get("k"), body.get("name")));
    }

    @Idempotent
    @PostMapping("/values/{k}")
    Map<String, Object> putOnce(@PathVariable String k, @RequestBody String v) {
      service.put(k, v);
      return Map.of("k", k);
    }

    @PutMapping("/values/{k}")
    void put(@PathVariable String k, @RequestBody String v) {
      service.put(k, v);
    }

    @GetMapping("/values/{k}")
    Map<String, Object> get(@PathVariable String k) {
      return service.get(k);
    }

    @GetMapping("/where/{how}")
    boolean where(@PathVariable String how) {
      return switch (how) {
        case "ro" -> service.readOnlyInRecovery();
        case "rw" -> service.readWriteInRecovery();
        default -> service.strongInRecovery();
      };
    }
  }
}

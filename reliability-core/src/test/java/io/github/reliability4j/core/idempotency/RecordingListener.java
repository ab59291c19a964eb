package io.github.reliability4j.core.idempotency;

import io.github.reliability4j.core.idempotency.event.IdempotencyEvent;
import io.github.reliability4j.core.idempotency.event.IdempotencyEventListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

final class RecordingListener implements IdempotencyEventListener {
  final List<IdempotencyEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(IdempotencyEvent event) {
    events.add(event);
  }

  List<IdempotencyEvent.Type> types() {
    return events.stream().map(IdempotencyEvent::getType).collect(Collectors.toList());
  }

  IdempotencyEvent last(IdempotencyEvent.Type type) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).getType() == type) {
        return events.get(i);
      }
    }
    throw new AssertionError("no " + type + " event in " + types());
  }
}

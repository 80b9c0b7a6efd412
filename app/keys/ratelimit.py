"""Failed authentications per client address in a sliding minute: past the limit, the client
waits (429 with Retry-After) before a key is even looked up, so guessing keys is slow."""
from __future__ import annotations

import math
import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 100_000  # memory bound: the oldest clients are forgotten first


class FailureLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:  # noqa: ANN001 - a clock callable
        self.per_minute, self.clock = per_minute, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds this client must wait, or None if it may try."""
        with self._lock:
            now = self.clock()
            failures = self._recent(client, now)
            if len(failures) < self.per_minute:
                return None
            return max(1, math.ceil(failures[0] + WINDOW_SECONDS - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            failures = self._recent(client, now)
            failures.append(now)
            self._failures.pop(client, None)
            self._failures[client] = failures  # most recent last
            while len(self._failures) > MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))

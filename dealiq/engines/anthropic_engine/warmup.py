"""Let the first call with a cacheable prefix go alone, so the calls after it read the cache.

A prompt-cache entry becomes readable only once the first response that wrote it has begun. The
pipeline starts the six domains' discovery calls for an entity at the same moment, and sent together
they would all miss and each pay the cache *write* price (1.25× input) instead of one write and five
reads (0.1×). The gate makes the first caller for a prefix the leader; callers with the same prefix
wait until the leader's call has returned, then go (and hit the cache). Once a prefix is warm nobody
waits. If the leader fails, the waiters are released and simply call.

`FileWarmupGate` uses flock(2) on a lock file per prefix key, so it coordinates threads and worker
processes on one machine (Celery prefork included). Workers on several machines each warm their own
copy at worst once per machine. A gate is any object with a `hold(key)` context manager; a
Redis-lock implementation can be dropped in for multi-machine fleets.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
import time
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Iterator, Protocol


class WarmupGate(Protocol):
    """`with gate.hold(key) as warm:` — `warm` is True when the prefix is known to be cached (marked warm,
    or a leader finished while we waited), False for the leader (and when a leader failed)."""

    def hold(self, key: str) -> AbstractContextManager[bool]: ...


class NoWarmupGate:
    """Everyone goes at once (caching still works for calls that come later)."""

    @contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        yield False


class FileWarmupGate:
    def __init__(self, directory: str | os.PathLike | None = None, warm_ttl: float = 240.0, max_wait: float = 300.0):
        # warm_ttl stays under the 5-minute cache lifetime; each successful call refreshes it, as a
        # cache read refreshes the entry's lifetime at the API.
        self.directory = Path(directory or Path(tempfile.gettempdir()) / "dealiq-prompt-cache")
        self.warm_ttl = warm_ttl
        self.max_wait = max_wait

    def _warm_marker(self, key: str) -> Path:
        return self.directory / f"{key}.warm"

    def _is_warm(self, key: str) -> bool:
        try:
            return time.time() - self._warm_marker(key).stat().st_mtime < self.warm_ttl
        except FileNotFoundError:
            return False

    def _mark_warm(self, key: str) -> None:
        self._warm_marker(key).touch()

    def _wait_for_leader(self, fd: int) -> None:
        deadline = time.monotonic() + self.max_wait
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.02)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return

    @contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        if self._is_warm(key):
            yield True
            self._mark_warm(key)
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / f"{key}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        leader = False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                leader = not self._is_warm(key)  # another leader may have finished just now
                if not leader:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            except BlockingIOError:
                self._wait_for_leader(fd)
            yield not leader and self._is_warm(key)
            self._mark_warm(key)
        finally:
            if leader:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

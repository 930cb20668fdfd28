"""File locks (fcntl.flock) that pallet processes sharing a state root use to take turns.

flock locks belong to the open file, so they are released when the process dies, however it
dies: a killed build never leaves a lock behind. Shared locks let many readers in at once
(e.g. builds using a cache mount) while an exclusive one waits (e.g. prune).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from pallet.errors import StoreError

POLL_SECONDS = 0.05


class FileLock:
    """`with FileLock(path): ...`; `shared=True` for a read lock; `timeout=None` waits forever."""

    def __init__(self, path: Path | str, *, shared: bool = False, timeout: float | None = None) -> None:
        self.path = Path(path)
        self.shared = shared
        self.timeout = timeout
        self._fd: int | None = None

    @property
    def locked(self) -> bool:
        return self._fd is not None

    @classmethod
    def is_held(cls, path: Path | str) -> bool:
        """Whether another holder has the lock now (tried without waiting)."""
        lock = cls(path, timeout=0)
        try:
            lock.acquire()
        except StoreError:
            return True
        lock.release()
        return False

    def acquire(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        try:
            self._wait(fd, mode)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def _wait(self, fd: int, mode: int) -> None:
        if self.timeout is None:
            fcntl.flock(fd, mode)
            return
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f'timed out waiting for lock "{self.path}"',
                        hint="another pallet process holds it; wait for it to finish",
                    ) from None
                time.sleep(POLL_SECONDS)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

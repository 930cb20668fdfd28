"""Signal names as docker takes them ("TERM", "SIGTERM", "15"), and forwarding them.

A foreground `pallet run`/`exec` starts runc in a session of its own (so the terminal's
Ctrl-C does not race us for it) and forwards what it receives, as docker's sig-proxy does.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

from pallet.container.errors import ContainerError

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGWINCH)


def parse_signal(text: str) -> str:
    """The canonical "SIGTERM" form of a signal name or number; docker's error otherwise."""
    word = text.strip().upper()
    if word.isdigit():
        try:
            return signal.Signals(int(word)).name
        except ValueError:
            raise ContainerError(f"Invalid signal: {text}") from None
    name = word if word.startswith("SIG") else "SIG" + word
    if name not in signal.Signals.__members__:
        raise ContainerError(f"Invalid signal: {text}")
    return name


@contextmanager
def forwarding(send) -> Iterator[None]:
    """While inside, signals in FORWARDED are handed to `send(signum)` instead of us."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (tests may call us from threads)
        return
    old = {s: signal.signal(s, lambda signum, frame: send(signum)) for s in FORWARDED}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)

"""What runc gets as stdin when nobody types into the container.

With a tty, runc (foreground mode) needs one of its stdio to be a terminal: it
reads the window size from it and puts it in raw mode, and fails with "open
/dev/tty: no such device or address" otherwise. When the user's own terminal is
not attached (`-t` without `-i`, or `-d`), we give it a pty of our own that nobody
writes to. Without a tty but with `-i` in the background, a pipe nobody writes to
does the same job: the container's stdin stays open instead of reading EOF.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios

DEFAULT_SIZE = (24, 80)


def idle_stdin(tty: bool, keep_open: bool) -> tuple[int, list[int]]:
    """(fd for runc's stdin, fds to close once runc has exited)."""
    if tty:
        master, slave = os.openpty()
        _copy_window_size(slave)
        return slave, [slave, master]
    if keep_open:
        r, w = os.pipe()
        return r, [r, w]
    return subprocess.DEVNULL, []


def close_all(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _copy_window_size(fd: int) -> None:
    """Our terminal's size when we have one (so `pallet run -t` output fits it), else 24x80."""
    size = DEFAULT_SIZE
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
        if rows and cols:
            size = (rows, cols)
    except OSError:
        pass
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))

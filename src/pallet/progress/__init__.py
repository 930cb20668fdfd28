"""Progress of a build: events from the solver, writers that show them.

The solver reports on *vertices* (one per step the user sees: `[build 2/4] RUN make`,
`exporting to image`). Writers decide how that looks: `plain` prints BuildKit's
`--progress=plain` format so existing log tooling keeps working, `tty` draws a live view
with rich, `quiet` prints nothing.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from pallet.progress.events import Progress, Vertex

__all__ = ["Progress", "Vertex", "make_progress"]


def make_progress(mode: str = "auto", stream: TextIO | None = None) -> Progress:
    """A Progress for `--progress=MODE` writing to `stream` (stderr by default)."""
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "tty" if stream.isatty() and os.environ.get("TERM") != "dumb" else "plain"
    if mode == "plain":
        from pallet.progress.plain import PlainWriter

        return Progress(PlainWriter(stream))
    if mode == "tty":
        from pallet.progress.tty import TtyWriter

        return Progress(TtyWriter(stream))
    if mode == "quiet":
        return Progress(None)
    from pallet.errors import OptionError

    raise OptionError(
        f'invalid progress mode "{mode}"', hint="use one of: auto, plain, tty, quiet"
    )

"""Where a file-shaped output goes: stdout (`-`) or a file written beside its final name.

A file output is written to a temporary file in the destination's directory and renamed
over the final name when complete, so a failed or interrupted build never leaves a
half-written archive under the name the user asked for.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from typing import BinaryIO, Iterator


@contextmanager
def open_dest(dest: str) -> Iterator[BinaryIO]:
    if dest == "-":
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    directory = os.path.dirname(os.path.abspath(dest))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pallet-output-")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

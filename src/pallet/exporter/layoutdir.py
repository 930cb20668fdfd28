"""An image layout written into a directory, with TarballWriter's add/add_bytes interface.

For `-o type=oci,tar=false,dest=DIR`. Blobs are content-addressed, so one already present is
left alone (BuildKit's local content store does the same); oci-layout and index.json are
replaced, each through a temporary file and a rename so a reader never sees half of one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import BinaryIO


class LayoutDirWriter:
    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(root, exist_ok=True)

    def add(self, name: str, src: BinaryIO, size: int) -> None:
        path = os.path.join(self.root, name)
        if name.startswith("blobs/") and os.path.isfile(path) and os.path.getsize(path) == size:
            shutil.copyfileobj(src, _Discard())  # still read it: the caller verifies the digest
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(src, f, 1 << 20)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def add_bytes(self, name: str, data: bytes) -> None:
        import io

        self.add(name, io.BytesIO(data), len(data))

    def close(self) -> None:
        pass


class _Discard:
    def write(self, data) -> int:
        return len(data)

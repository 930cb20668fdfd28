"""Layer compression: gzip (through ISA-L when installed), zstd, or none; detected by magic.

gzip output is deterministic: header mtime 0 and no file name, as Go's compress/gzip writes
when BuildKit compresses a layer. The same tar gives the same blob with the same library, so
CI pins isal: zlib's deflate makes different (equally valid) bytes.
"""

from __future__ import annotations

import enum
import gzip
from typing import BinaryIO

from pallet.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZSTD_LEVEL = 3  # zstd's default, and BuildKit's compression-level default for zstd
GZIP_LEVEL = 1  # isal level 1: about gzip -6 size at many times the speed


class Compression(enum.Enum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"

    @classmethod
    def parse(cls, text: str) -> Compression:
        name = {"uncompressed": "none", "": "none"}.get(text.lower(), text.lower())
        try:
            return cls(name)
        except ValueError:
            raise UserError(
                f'unsupported compression "{text}"', hint="use one of: gzip, zstd, uncompressed"
            ) from None


def detect(head: bytes) -> Compression:
    if head.startswith(GZIP_MAGIC):
        return Compression.GZIP
    if head.startswith(ZSTD_MAGIC):
        return Compression.ZSTD
    return Compression.NONE


def _gzip_module():
    try:
        from isal import igzip  # type: ignore[import-not-found]

        return igzip
    except ImportError:  # the stdlib is slower, and its bytes differ; see the module docstring
        return gzip


def _gzip_writer(out: BinaryIO, level: int | None):
    """gzip_blocks' writer compresses 1 MiB blocks on 2 threads beside the caller (isal:
    1.1 GB/s on this 2-core machine, 4x one stream). Its bytes depend on the block size,
    not on the thread count or timing, so digests stay reproducible. ISA-L knows levels 0-3
    only: an explicit level (0-9) is zlib's, as in Go's gzip."""
    if level is None:
        try:
            from pallet.archive.gzip_blocks import GzipWriter

            return GzipWriter(out, GZIP_LEVEL)  # it never closes `out`
        except ImportError:  # no isal: the stdlib (slower, other bytes)
            pass
    return gzip.GzipFile(filename="", mode="wb", fileobj=_NoClose(out), mtime=0,
                         compresslevel=9 if level is None else level)


def block_gzip(out: BinaryIO):
    """gzip_blocks.BlockGzip at pallet's level, for a producer of 1 MiB blocks; None without
    isal (then compress_writer)."""
    try:
        from pallet.archive.gzip_blocks import BlockGzip
    except ImportError:
        return None
    return BlockGzip(out, GZIP_LEVEL)


def _zstd():
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        raise UserError("zstd needs the zstandard package", hint="pip install zstandard==0.25.0") from None
    return zstandard


class _NoClose:
    """Lets a compressor be closed (to flush its trailer) without closing `out`."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, data) -> int:
        return self._out.write(data)

    def flush(self) -> None:
        flush = getattr(self._out, "flush", None)  # content-store ingests have none
        if flush is not None:
            flush()


def compress_writer(kind: Compression, out: BinaryIO, level: int | None = None):
    """A writable that compresses into `out` (at `level`, else pallet's default); close it
    to finish (`out` stays open)."""
    if kind is Compression.GZIP:
        return _gzip_writer(out, level)
    if kind is Compression.ZSTD:
        level = ZSTD_LEVEL if level is None else level
        return _zstd().ZstdCompressor(level=level).stream_writer(out, closefd=False)
    return _Passthrough(out)


class _Passthrough(_NoClose):
    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def decompress_reader(src: BinaryIO, kind: Compression | None = None) -> BinaryIO:
    """A readable of the uncompressed bytes of `src`; `kind=None` detects it (src must seek
    or be peekable)."""
    if kind is None:
        kind = detect(_peek(src, 4))
    try:
        if kind is Compression.GZIP:
            return _gzip_module().GzipFile(fileobj=src, mode="rb")
        if kind is Compression.ZSTD:
            return _zstd().ZstdDecompressor().stream_reader(src, read_across_frames=True)
    except OSError as e:
        raise UserError(f"cannot decompress layer: {e}") from e
    return src


def _peek(src: BinaryIO, n: int) -> bytes:
    if hasattr(src, "peek"):
        return src.peek(n)[:n]
    pos = src.tell()
    head = src.read(n)
    src.seek(pos)
    return head

import io

import pytest

from pallet.archive.compression import Compression, compress_writer, decompress_reader, detect
from pallet.errors import UserError

PAYLOAD = b"layer bytes " * 5000


@pytest.mark.parametrize("kind", list(Compression), ids=lambda k: k.value)
def test_round_trip_and_detection(kind):
    out = io.BytesIO()
    w = compress_writer(kind, out)
    w.write(PAYLOAD)
    w.close()
    data = out.getvalue()
    assert not out.closed
    assert detect(data[:4]) is kind
    assert decompress_reader(io.BytesIO(data)).read() == PAYLOAD


@pytest.mark.parametrize("kind", [Compression.GZIP, Compression.ZSTD], ids=lambda k: k.value)
def test_compression_is_deterministic(kind):
    def once():
        out = io.BytesIO()
        w = compress_writer(kind, out)
        w.write(PAYLOAD)
        w.close()
        return out.getvalue()

    assert once() == once()


def test_gzip_uses_isal():
    from pallet.archive.compression import _gzip_module

    assert _gzip_module().__name__ == "isal.igzip"


PARSE = [("gzip", Compression.GZIP), ("ZSTD", Compression.ZSTD), ("uncompressed", Compression.NONE)]


@pytest.mark.parametrize("text,kind", PARSE)
def test_parse(text, kind):
    assert Compression.parse(text) is kind


def test_parse_unknown():
    with pytest.raises(UserError, match='unsupported compression "lz4"'):
        Compression.parse("lz4")


def compressed(kind, level=None):
    out = io.BytesIO()
    w = compress_writer(kind, out, level)
    w.write(PAYLOAD)
    w.close()
    assert decompress_reader(io.BytesIO(out.getvalue())).read() == PAYLOAD
    return out.getvalue()


def test_an_explicit_gzip_level_is_zlibs():
    """ISA-L has levels 0-3 only; compression-level=9 is Go's (zlib's) best compression."""
    import gzip

    best = compressed(Compression.GZIP, 9)
    assert best[8:10] == b"\x02\xff"  # XFL "best compression", OS "unknown" (as Go writes)
    assert best[10:] == gzip.compress(PAYLOAD, compresslevel=9, mtime=0)[10:]
    assert best != compressed(Compression.GZIP)


def test_an_explicit_zstd_level():
    assert compressed(Compression.ZSTD, 19) != compressed(Compression.ZSTD)

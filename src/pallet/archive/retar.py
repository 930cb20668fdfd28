"""Re-write a tar stream in the layer form pallet writes (for `pallet import`).

`docker import` unpacks the tarball and diffs it again, which normalises the layer; pallet
streams it instead: entry order is kept (the tarball is the input, so equal inputs still give
equal layers), names lose `./` and leading `/`, the root entry is dropped, owners become
numeric only, mtimes whole seconds clamped to `epoch`, format PAX.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from typing import BinaryIO

from pallet.archive.tarwriter import clamp, open_tar_writer
from pallet.errors import UserError


@dataclass
class RetarStats:
    entries: int = 0
    newest_mtime: int = 0
    file_bytes: int = 0


def clean_member_name(name: str) -> str | None:
    """`./bin/sh` -> `bin/sh`; None for the root itself; UserError for names with `..`."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UserError(f'refusing tar entry "{name}": ".." is not allowed in layer paths')
    return "/".join(parts) or None


def _clean_link(info: tarfile.TarInfo) -> None:
    if info.type == tarfile.LNKTYPE:
        target = clean_member_name(info.linkname)
        if target is None:
            raise UserError(f'refusing tar entry "{info.name}": hard link to the root')
        info.linkname = target


def retar(src: BinaryIO, out: BinaryIO, *, epoch: int | None = None) -> RetarStats:
    stats = RetarStats()
    writer = open_tar_writer(out)
    try:
        reader = tarfile.open(fileobj=src, mode="r|", encoding="utf-8", errors="surrogateescape")
        for info in reader:
            name = clean_member_name(info.name)
            if name is None:
                continue
            _clean_link(info)
            stats.newest_mtime = max(stats.newest_mtime, int(info.mtime))
            info.name, info.uname, info.gname = name, "", ""
            info.mtime = clamp(info.mtime, epoch)
            info.pax_headers = {k: v for k, v in info.pax_headers.items() if k.startswith("SCHILY.xattr.")}
            data = reader.extractfile(info) if info.isreg() else None
            stats.entries += 1
            stats.file_bytes += info.size if info.isreg() else 0
            writer.addfile(info, data)
    except (tarfile.TarError, EOFError, OSError) as e:
        raise UserError(f"invalid tar archive: {e}", hint="pallet import takes a tar (optionally gzip or zstd) of a root filesystem") from e
    writer.close()
    return stats



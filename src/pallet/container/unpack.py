"""An image's layers as committed snapshots, the base of a container's writable layer.

The names and the chain rule are the build worker's (`LocalWorker._image`), so a
base image unpacked by a build is reused by `pallet run` and the other way round:
each layer is unpacked once, into the snapshot `chain-<hex>` stacked on the one below.
"""

from __future__ import annotations

import secrets

from pallet.archive.compression import decompress_reader
from pallet.archive.tarreader import extract_layer
from pallet.errors import AlreadyExistsError
from pallet.graph.digest import digest_of


def unpack_image(blobs, snapshots, manifest, config) -> str:
    """Unpack what is missing; return the top layer's snapshot name ("" for no layers)."""
    chain, name, parent = "", "", None
    for desc, diff_id in zip(manifest.layers, config.diff_ids):
        chain = diff_id if not chain else digest_of([chain, diff_id])
        name = "chain-" + chain.split(":", 1)[1]
        if not snapshots.exists(name):
            _unpack_layer(blobs, snapshots, desc, name, parent)
        parent = name
    return name


def _unpack_layer(blobs, snapshots, desc, name: str, parent: str | None) -> None:
    active = f"unpack-{secrets.token_hex(8)}"
    snapshots.prepare(active, [parent] if parent else [])
    try:
        with blobs.open_blob(desc.digest) as raw:
            extract_layer(decompress_reader(raw), snapshots.upper_dir(active), overlay=True)
        snapshots.commit(name, active)
    except AlreadyExistsError:  # another pallet unpacked it meanwhile
        snapshots.remove(active)
    except BaseException:
        snapshots.remove(active)
        raise

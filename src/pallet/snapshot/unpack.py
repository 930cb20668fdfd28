"""An image's layers as committed snapshots: the base of build steps and containers.

Each layer is unpacked once, into the snapshot `chain-<hex>` (named by its chain id)
stacked on the one below, so the build worker and `pallet run` share them.
"""

from __future__ import annotations

import secrets

from pallet.errors import AlreadyExistsError
from pallet.graph.digest import digest_of


def chain_names(diff_ids) -> list[str]:
    """The snapshot name of each layer with these diff ids, lowest first."""
    chain, names = "", []
    for diff_id in diff_ids:
        chain = diff_id if not chain else digest_of([chain, diff_id])
        names.append("chain-" + chain.split(":", 1)[1])
    return names


def unpack_layers(blobs, snapshots, layers, diff_ids) -> list[str]:
    """Unpack what is missing; return each layer's snapshot name, lowest first."""
    names, parent = [], None
    for desc, name in zip(layers, chain_names(diff_ids)):
        if not snapshots.exists(name):
            _unpack_layer(blobs, snapshots, desc, name, parent)
        names.append(name)
        parent = name
    return names


def unpack_image(blobs, snapshots, manifest, config) -> str:
    """The top snapshot of an image ("" when it has no layers)."""
    names = unpack_layers(blobs, snapshots, manifest.layers, config.diff_ids)
    return names[-1] if names else ""


def _unpack_layer(blobs, snapshots, desc, name: str, parent: str | None) -> None:
    # Here, not at the top: a build whose base image is unpacked already needs no tar reader.
    from pallet.archive.compression import decompress_reader
    from pallet.archive.tarreader import extract_layer

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

"""The build engine's FROM resolver pulls images missing from the store (and, with
`--pull`, always asks the registry)."""

from __future__ import annotations

import shutil

import pytest

from pallet.errors import ManifestUnknownError, RegistryUnreachableError

from .conftest import make_image, open_images
from .servers import free_port


def resolver(pull=False):
    from pallet.engine.resolver import LocalResolver

    images = open_images()
    return LocalResolver(images.blobs, images.store.db, pull=pull)


def test_missing_base_image_is_pulled(registry, pallet, env):
    desc = make_image(f"{registry.host}/base:v1")
    pallet("push", f"{registry.host}/base:v1")
    shutil.rmtree(env / "root")
    resolved = resolver().resolve(f"{registry.host}/base:v1", None)
    assert resolved.manifest_digest == desc.digest
    assert open_images().store.get(f"{registry.host}/base:v1").target.digest == desc.digest


def test_local_image_is_used_without_asking_a_registry(env):
    port = free_port()  # nothing listens: a registry request would fail
    desc = make_image(f"127.0.0.1:{port}/local:v1")
    resolver().resolve(f"127.0.0.1:{port}/local:v1", None)
    with pytest.raises(RegistryUnreachableError, match="failed to resolve source metadata"):
        resolver(pull=True).resolve(f"127.0.0.1:{port}/local:v1", None)
    assert desc


def test_pull_flag_refreshes_a_stale_local_image(registry, pallet):
    new = make_image(f"{registry.host}/fresh:v1", {"v": b"2"})
    pallet("push", f"{registry.host}/fresh:v1")
    old = make_image(f"{registry.host}/fresh:v1", {"v": b"1"})
    assert old.digest != new.digest
    resolver(pull=True).resolve(f"{registry.host}/fresh:v1", None)
    assert open_images().store.get(f"{registry.host}/fresh:v1").target.digest == new.digest


def test_unknown_base_image(registry):
    with pytest.raises(ManifestUnknownError) as info:
        resolver().resolve(f"{registry.host}/nope:v1", None)
    assert info.value.message.startswith(
        f"failed to resolve source metadata for {registry.host}/nope:v1: manifest for {registry.host}/nope:v1 not found")

"""Busybox base images for other platforms, and a multi-platform index of them, for tests.

Each platform's image is the host busybox tree (pallet.testing.busybox: same Debian
version, so the same applet list) with /bin/busybox replaced by Debian's busybox-static
for that architecture, taken from its .deb (`dpkg-deb -x`, no dpkg database touched).
The .debs come from $PALLET_FOREIGN_DEBS (a directory) or apt's cache, where
`dpkg --add-architecture arm64 && dpkg --add-architecture armhf && apt-get update &&
apt-get download busybox-static:arm64 busybox-static:armhf` (run in /var/cache/apt/archives)
puts them. Each image is imported as `pallet import --platform` does, then
`make_index` joins several imported images into one index (what `docker buildx imagetools
create` makes from single-platform images).

The applet list is never asked of the foreign binary: making a base image needs no
emulator; only running it does (`require_emulation`).
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
from pathlib import Path

from pallet.testing.runtime import skip_or_fail
from pallet.testing.busybox import (
    _extract_deb,
    _normalize,
    _session_dir,
    busybox_rootfs,
    find_busybox,
    write_rootfs_tar,
)

# platform -> Debian architecture of its busybox-static .deb
DEB_ARCHES = {"linux/amd64": "amd64", "linux/arm64": "arm64", "linux/arm/v7": "armhf"}
MULTI_PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")
DEB_HINT = ("dpkg --add-architecture arm64 && dpkg --add-architecture armhf && apt-get update"
            " && (cd /var/cache/apt/archives && apt-get download busybox-static:arm64"
            " busybox-static:armhf), or set PALLET_FOREIGN_DEBS to a directory holding them")


def find_busybox_deb(platform: str) -> Path | None:
    arch = DEB_ARCHES.get(platform)
    if arch is None:
        return None
    dirs = [os.environ.get("PALLET_FOREIGN_DEBS", ""), "/var/cache/apt/archives"]
    for d in filter(None, dirs):
        found = sorted(glob.glob(os.path.join(d, f"busybox-static_*_{arch}.deb")))
        if found:
            return Path(found[-1])
    return None


@functools.cache
def busybox_binary(platform: str) -> Path:
    """The static busybox executable for `platform` (the host's own for the host)."""
    from pallet.image.platform import host_platform

    if platform == str(host_platform()):
        return find_busybox()
    deb = find_busybox_deb(platform)
    if deb is None:
        raise FileNotFoundError(f"no busybox-static .deb for {platform}: {DEB_HINT}")
    return _extract_deb(deb, f"deb-{DEB_ARCHES[platform]}")


@functools.cache
def platform_rootfs(platform: str) -> Path:
    """A busybox root filesystem whose binary is `platform`'s; treat it as read-only."""
    dest = Path(_session_dir()) / f"rootfs-{platform.replace('/', '_')}"
    shutil.copytree(busybox_rootfs(), dest, symlinks=True)
    shutil.copyfile(busybox_binary(platform), dest / "bin/busybox")
    os.chmod(dest / "bin/busybox", 0o755)
    _normalize(dest)
    return dest


@functools.cache
def platform_tar(platform: str) -> Path:
    """The tar of `platform_rootfs(platform)`: what `pallet import --platform` takes."""
    tar = Path(_session_dir()) / f"busybox-{platform.replace('/', '_')}.tar"
    return write_rootfs_tar(platform_rootfs(platform), tar)


def import_platform_image(images, platform: str, name: str):
    """`pallet import --platform PLATFORM rootfs.tar NAME` of `platform`'s busybox."""
    from pallet.image.importer import ImportOptions, import_tarball
    from pallet.image.platform import parse_platform

    opts = ImportOptions(platform=parse_platform(platform), epoch=0)
    with open(platform_tar(platform), "rb") as src:
        target = import_tarball(images, src, opts)
    return images.tag(name, target, opts.platform)


def make_index(images, name: str, sources: list[str]):
    """Name an OCI index over the (single-platform) images `sources`, each entry carrying
    the platform its config says."""
    from pallet.content.base import read_blob, write_blob
    from pallet.image.config import ImageConfig
    from pallet.image.descriptor import INDEX_TYPES, Descriptor
    from pallet.image.manifest import Index, Manifest
    from pallet.image.platform import Platform

    entries = []
    for source in sources:
        target = images.resolve(source).target
        if target.media_type in INDEX_TYPES:
            raise ValueError(f"{source} is already an index")
        manifest = Manifest.from_bytes(read_blob(images.blobs, target.digest))
        config = ImageConfig.from_bytes(read_blob(images.blobs, manifest.config.digest))
        platform = Platform(config.os, config.architecture, config.variant or "")
        entries.append(Descriptor(target.media_type, target.digest, target.size,
                                  platform=platform))
    index = Index(entries)
    info = write_blob(images.blobs, index.to_bytes())
    return images.tag(name, Descriptor(index.media_type, info.digest, info.size))


def make_multi_busybox(images, name: str = "busybox:multi",
                       platforms: tuple[str, ...] = MULTI_PLATFORMS):
    """`busybox:multi`: an index over busybox images of `platforms` (each also named
    `busybox:multi-<os>-<arch>[-<variant>]`)."""
    repo = name.rsplit(":", 1)[0]
    sources = []
    for platform in platforms:
        single = f"{repo}:multi-{platform.replace('/', '-')}"
        import_platform_image(images, platform, single)
        sources.append(single)
    return make_index(images, name, sources)


# -- what emulated tests need --------------------------------------------------------------
def missing_emulation(platforms: tuple[str, ...] = MULTI_PLATFORMS) -> list[str]:
    """Why `platforms` cannot be built and run here ([] when they can)."""
    from pallet.emulation import check_platform
    from pallet.emulation.arches import emulator_for

    missing = []
    for platform in platforms:
        if find_busybox_deb(platform) is None and DEB_ARCHES.get(platform) != "amd64":
            missing.append(f"busybox-static .deb for {platform} ({DEB_HINT})")
        verdict = check_platform(platform)
        if verdict.ok:
            continue
        emu = emulator_for(platform)
        if emu is None or not os.path.exists(emu.binary):
            missing.append(f"qemu-user-static for {platform} (apt-get install qemu-user-static)")
        else:
            missing.append(f"an emulator for {platform}: {verdict.problem}")
    return missing


def require_emulation(platforms: tuple[str, ...] = MULTI_PLATFORMS) -> None:
    """Register the emulators `platforms` need (only those, only if missing), then skip the
    calling test if something is still missing; fail instead under PALLET_REQUIRE_ALL=1."""
    from pallet.emulation import check_platform, install
    from pallet.emulation.arches import emulator_for
    from pallet.errors import PalletError

    needed = [emulator_for(p) for p in platforms if not check_platform(p).ok]
    names = [e.name for e in needed if e is not None and os.path.exists(e.binary)]
    if names and os.geteuid() == 0:
        try:
            install(names)
        except PalletError:
            pass  # reported below, as what is missing
    skip_or_fail(missing_emulation(platforms))

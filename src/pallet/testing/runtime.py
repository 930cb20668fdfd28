"""What the integration tests need from the machine, and how they say it is missing."""

from __future__ import annotations

import os
import shutil

from pallet.testing.busybox import BusyboxNotFoundError, find_busybox


def missing_runtime() -> list[str]:
    """Human-readable reasons why containers cannot run here ([] when they can)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (mount(2) and runc need it)")
    if shutil.which("runc") is None:
        missing.append("runc (apt-get install runc)")
    if not _has_overlayfs():
        missing.append("overlayfs in /proc/filesystems (modprobe overlay)")
    try:
        find_busybox()
    except BusyboxNotFoundError as e:
        missing.append(str(e))
    return missing


def require_runtime() -> None:
    """Skip the calling test when something is missing; fail instead under PALLET_REQUIRE_ALL=1."""
    skip_or_fail(missing_runtime())


def require_tools(*tools: str) -> None:
    """Skip (or fail under PALLET_REQUIRE_ALL=1) unless every program is on PATH."""
    skip_or_fail([f"{t} (bash scripts/install)" for t in tools if shutil.which(t) is None])


def require_tool(name: str) -> str:
    """The program's path; skips (or fails) as require_tools does when it is missing."""
    path = shutil.which(name)
    skip_or_fail([] if path else [f"{name} (bash scripts/install)"])
    return path


def skip_or_fail(missing: list[str]) -> None:
    """Nothing missing: return. Else skip the test, or fail it under PALLET_REQUIRE_ALL=1
    (what CI sets), so a missing install step cannot pass as a skip."""
    import pytest

    if not missing:
        return
    reason = "missing: " + "; ".join(missing)
    if os.environ.get("PALLET_REQUIRE_ALL") == "1":
        pytest.fail(reason + " (PALLET_REQUIRE_ALL=1)")
    pytest.skip(reason)


def _has_overlayfs() -> bool:
    try:
        with open("/proc/filesystems") as f:
            return any(line.split()[-1] == "overlay" for line in f if line.strip())
    except OSError:
        return False


def mounts_under(path: str | os.PathLike[str]) -> list[str]:
    """Mount points at or below `path`, deepest first (from /proc/self/mountinfo)."""
    from pallet.state.prune import mounts_under

    return mounts_under(path)


def unmount_all_under(path: str | os.PathLike[str]) -> list[str]:
    """Unmount what a test left mounted below `path`; returns what it found."""
    from pallet.snapshot.mount import unmount

    left = mounts_under(path)
    for point in left:
        unmount(point)
    return left


def snapshotter_and_runc(tmp_path):
    """A fixture body: an OverlaySnapshotter holding busybox and a RuncExecutor, both under
    tmp_path; after the test, nothing may be left mounted there."""
    from pallet.executor.runc import RuncExecutor
    from pallet.snapshot import OverlaySnapshotter
    from pallet.testing.busybox import commit_busybox

    require_runtime()
    snapshotter = OverlaySnapshotter(tmp_path / "snapshots")
    commit_busybox(snapshotter)
    (tmp_path / "bundles").mkdir()
    executor = RuncExecutor(state_dir=str(tmp_path / "runc"), work_dir=str(tmp_path / "bundles"))
    yield snapshotter, executor, tmp_path
    left = unmount_all_under(tmp_path)
    assert left == [], f"the test left mounts behind: {left}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for test servers, and for requests
    that must find nothing)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Where a container's files live under the state root (one class owns the layout).

    <root>/containers/runc/                 runc's state dir (--root) for pallet's containers
    <root>/containers/<id>/bundle/          config.json, hosts, resolv.conf
    <root>/containers/<id>/bundle/rootfs/   the writable layer, mounted while it runs
    <root>/containers/<id>/<id>-json.log    its output, as docker's json-file driver writes it
    <root>/containers/<id>/runc.log         runc's own messages (JSON)
    <root>/containers/<id>/supervisor.log   what the supervisor printed (for bug reports)

The writable layer is the active snapshot `container-<id>` of the root's snapshotter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ContainerPaths:
    root: Path  # the state root's path
    id: str

    @property
    def containers_dir(self) -> Path:
        return self.root / "containers"

    @property
    def runc_state_dir(self) -> Path:
        return self.containers_dir / "runc"

    @property
    def dir(self) -> Path:
        return self.containers_dir / self.id

    @property
    def bundle(self) -> Path:
        return self.dir / "bundle"

    @property
    def rootfs(self) -> Path:
        return self.bundle / "rootfs"

    @property
    def log(self) -> Path:
        return self.dir / f"{self.id}-json.log"

    @property
    def runc_log(self) -> Path:
        return self.dir / "runc.log"

    @property
    def pid_file(self) -> Path:
        return self.dir / "init.pid"

    @property
    def supervisor_log(self) -> Path:
        return self.dir / "supervisor.log"

    @property
    def snapshot_key(self) -> str:
        return f"container-{self.id}"

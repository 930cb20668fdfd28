"""Run RUN steps in containers: OCI bundles (data) run by runc (the one place that spawns it)."""

from pallet.executor.bundle import BundleSpec, ProcessSpec, SpecMount, bind_mount, make_config, tmpfs_mount
from pallet.executor.runc import ContainerStartError, RuncExecutor, RuncNotFoundError
from pallet.executor.user import ExecUser, UserLookupError, resolve_user, resolve_user_in_root

__all__ = [
    "BundleSpec", "ContainerStartError", "ExecUser", "ProcessSpec", "RuncExecutor", "RuncNotFoundError",
    "SpecMount", "UserLookupError", "bind_mount", "make_config", "resolve_user", "resolve_user_in_root",
    "tmpfs_mount",
]

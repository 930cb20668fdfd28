"""Run RUN steps in containers: OCI bundles (data) run by runc (the one place that spawns it).

The names below are re-exported lazily: a build whose steps are all cached never loads the
bundle and user modules (nor mount(2)'s ctypes bindings).
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "BundleSpec": "bundle", "ProcessSpec": "bundle", "SpecMount": "bundle", "bind_mount": "bundle",
    "make_config": "bundle", "tmpfs_mount": "bundle",
    "ContainerStartError": "runc", "RuncExecutor": "runc", "RuncNotFoundError": "runc",
    "ExecUser": "user", "UserLookupError": "user", "resolve_user": "user",
    "resolve_user_in_root": "user",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pallet.executor' has no attribute {name!r}")
    return getattr(import_module(f"pallet.executor.{module}"), name)

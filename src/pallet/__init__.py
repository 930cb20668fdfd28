"""pallet: build OCI images from Dockerfiles as BuildKit does, without a daemon.

The public API, re-exported lazily so that `pallet --help` stays fast:

    pallet.build(BuildOptions(context=".", tags=["app"]))  -> BuildResult
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["BuildOptions", "BuildResult", "build"]


def build(options):
    """Build `options.context` as `docker build` would; returns a BuildResult."""
    from pallet.engine.api import build as run_build

    return run_build(options)


def __getattr__(name: str):
    if name == "BuildOptions":
        from pallet.build_options import BuildOptions

        return BuildOptions
    if name == "BuildResult":
        from pallet.engine.api import BuildResult

        return BuildResult
    raise AttributeError(f"module 'pallet' has no attribute {name!r}")

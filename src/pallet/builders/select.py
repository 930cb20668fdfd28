"""Which builder a command uses, in buildx's order: the --builder flag, then the
BUILDX_BUILDER environment variable, then the one `pallet builder use` selected, then
`default`."""

from __future__ import annotations

import os

from pallet.builders.registry import RUNNING, Registry
from pallet.state.root import StateRoot

ENV_BUILDER = "BUILDX_BUILDER"


def selected_name(flag: str | None, registry: Registry, environ=None) -> str:
    env = os.environ if environ is None else environ
    return flag or env.get(ENV_BUILDER) or registry.current()


def builder_root(flag: str | None = None, *, root: StateRoot | None = None,
                 activity: bool = False) -> StateRoot:
    """The state root bound to the selected builder's cache; an unknown name fails here,
    before any work. `activity`: a build is starting, so the builder is running now."""
    root = root or StateRoot.default()
    registry = Registry(root)
    builder = registry.get(selected_name(flag, registry))
    if activity:
        registry.set_status(builder.name, RUNNING)
    return root.for_builder(builder.name)

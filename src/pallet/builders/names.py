"""Builder names: buildx's rules (store/util.go ValidateName) and generated names."""

from __future__ import annotations

import re

from pallet.state.root import DEFAULT_BUILDER

# buildx: a letter first, then letters, digits and ._- ; names are case-insensitive
# (stored lower-case), so `--builder MyBuilder` finds `mybuilder`.
_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9._-]*$")


def validate_name(name: str) -> str:
    from pallet.builders.registry import BuilderError

    if not _NAME.match(name):
        raise BuilderError(f"invalid name {name}, name needs to start with a letter and may not "
                           "contain symbols, except ._-",
                           hint="e.g. --name mybuilder")
    return name.lower()


def validate_new_name(name: str) -> str:
    from pallet.builders.registry import BuilderError

    name = validate_name(name)
    if name == DEFAULT_BUILDER:
        raise BuilderError("default is a reserved name and cannot be used to identify builder "
                           "instance", hint="choose another --name")
    return name


def generate_name(taken: set[str]) -> str:
    """buildx names a builder as docker names a container: "adjective_surname"."""
    from pallet.container.names import generate_name as container_name

    return container_name(taken | {DEFAULT_BUILDER})

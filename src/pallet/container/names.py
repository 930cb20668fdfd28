"""Container names: docker's validation and its "adjective_surname" default names."""

from __future__ import annotations

import re
import secrets

from pallet.container.errors import ContainerError

# docker daemon/names.go: RestrictedNameChars
_NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

# A short list in the spirit of docker's pkg/namesgenerator (not its text).
_ADJECTIVES = ("brave", "calm", "eager", "fond", "gentle", "happy", "jolly", "keen", "lucid",
               "merry", "nifty", "proud", "quirky", "sharp", "tender", "vivid", "witty", "zen")
_SURNAMES = ("babbage", "curie", "darwin", "euler", "fermi", "galois", "hopper", "kepler",
             "lovelace", "noether", "pascal", "ramanujan", "shannon", "tesla", "turing", "wiles")


def validate_name(name: str) -> str:
    """The name without docker's optional leading "/", or an error in docker's words."""
    if not _NAME_RE.match(name):
        raise ContainerError(f'Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed')
    return name.removeprefix("/")


def generate_name(taken: set[str]) -> str:
    """A free "adjective_surname"; a number is appended when those run out, as docker does."""
    for attempt in range(64):
        name = f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_SURNAMES)}"
        if attempt >= 8:
            name += str(secrets.randbelow(10))
        if name not in taken:
            return name
    return "pallet_" + secrets.token_hex(6)

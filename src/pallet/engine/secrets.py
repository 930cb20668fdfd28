"""Build secrets (`--secret id=x,src=PATH` / `id=x,env=VAR`), read only when a step needs
them. Their bytes go to a tmpfs file bound into the step and nowhere else: not the cache
key (only the id), not the state root, not the progress log."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pallet.errors import OptionError


@dataclass(frozen=True)
class SecretSource:
    id: str
    path: str | None = None
    env: str | None = None


class SecretStore:
    def __init__(self, sources: dict[str, SecretSource], environ) -> None:
        self.sources = sources
        self.environ = environ

    @classmethod
    def from_options(cls, specs: list[str], environ) -> SecretStore:
        sources: dict[str, SecretSource] = {}
        for spec in specs or ():
            source = parse_secret(spec)
            sources[source.id] = source
        return cls(sources, environ)

    def get(self, secret_id: str) -> bytes | None:
        source = self.sources.get(secret_id)
        if source is None:
            return None
        if source.env:
            value = self.environ.get(source.env)
            return None if value is None else value.encode()
        try:
            with open(source.path, "rb") as f:
                return f.read()
        except OSError as e:
            raise OptionError(f'failed to read secret "{secret_id}" from {source.path}: '
                              f"{(e.strerror or str(e)).lower()}") from None


def parse_secret(spec: str) -> SecretSource:
    """buildx's --secret grammar: id=, src=/source=, env=, type=file|env."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        if not eq:
            raise OptionError(f'invalid secret "{spec}": expected key=value',
                              hint="use --secret id=NAME,src=FILE or --secret id=NAME,env=VAR")
        key = key.strip().lower()
        if key not in ("id", "src", "source", "env", "type"):
            raise OptionError(f'unexpected key "{key}" in secret "{spec}"',
                              hint="keys are id, src (or source), env and type")
        fields["src" if key == "source" else key] = value
    kind = fields.get("type", "env" if "env" in fields and "src" not in fields else "file")
    secret_id = fields.get("id") or os.path.basename(fields.get("src", "")) or fields.get("env", "")
    if not secret_id:
        raise OptionError(f'invalid secret "{spec}": no id', hint="add id=NAME")
    if kind == "env":
        return SecretSource(secret_id, env=fields.get("env") or fields.get("src") or secret_id)
    path = fields.get("src") or secret_id
    return SecretSource(secret_id, path=os.path.expanduser(path))

"""A container as pallet remembers it: one row of the `containers` table.

Lifecycle (docker's words): created -> running -> exited. `spec` holds what is needed
to exec into it and to stop it (env, cwd, user, tty, stop signal), as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

CREATED, RUNNING, EXITED = "created", "running", "exited"


@dataclass(frozen=True)
class ContainerSpec:
    """How the container's process was set up (from the image config and the flags)."""

    args: tuple[str, ...]
    env: tuple[str, ...] = ()
    cwd: str = "/"
    user: str = ""
    network: str = "host"
    tty: bool = False
    stdin_open: bool = False
    stop_signal: str = "SIGTERM"
    volumes: tuple[tuple[str, str, bool], ...] = ()  # (host path, container path, read-only)
    top_snapshot: str = ""  # the image's top layer snapshot (chain-<hex>); "" for no layers

    def to_json(self) -> str:
        return json.dumps({k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def from_json(cls, text: str) -> ContainerSpec:
        d = json.loads(text)
        d["args"] = tuple(d["args"])
        d["env"] = tuple(d["env"])
        d["volumes"] = tuple(tuple(v) for v in d["volumes"])
        return cls(**d)


@dataclass(frozen=True)
class Container:
    id: str  # 64 hex digits, like docker's
    name: str
    image: str  # as the user wrote it, for `ps`
    image_id: str
    spec: ContainerSpec
    created: float
    auto_remove: bool = False
    status: str = CREATED
    exit_code: int | None = None
    started: float | None = None
    finished: float | None = None
    supervisor_pid: int | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def is_running(self) -> bool:
        return self.status == RUNNING

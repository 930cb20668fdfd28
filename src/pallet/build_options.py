"""BuildOptions: everything `pallet build` was asked to do, as plain data.

The CLI fills it from docker's flags; `pallet.build(options)` and the frontend read it.
Field names follow buildx's flag names (`--build-arg` -> build_args, `-o` -> outputs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

CALL_NAMES = ("build", "check", "outline", "targets")
CALL_ALIASES = {"lint": "check"}
CALL_FORMATS = ("text", "json")
PROGRESS_MODES = ("auto", "plain", "tty", "quiet", "rawjson")


@dataclass
class BuildOptions:
    context: str = "."
    dockerfile: str | None = None  # -f; None means <context>/Dockerfile; "-" means stdin
    dockerfile_data: bytes | None = None  # the Dockerfile's bytes when they came from stdin
    tags: list[str] = field(default_factory=list)
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    no_cache_filter: list[str] = field(default_factory=list)
    pull: bool = False
    progress: str = "auto"
    network: str = "default"
    platforms: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    load: bool = False
    push: bool = False
    secrets: list[str] = field(default_factory=list)
    ssh: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    call: str = "build"
    call_format: str = "text"
    iidfile: str | None = None
    metadata_file: str | None = None
    cache_from: list[str] = field(default_factory=list)
    cache_to: list[str] = field(default_factory=list)
    builder: str | None = None
    quiet: bool = False
    build_contexts: dict[str, str] = field(default_factory=dict)
    add_hosts: list[str] = field(default_factory=list)

    @property
    def dockerfile_path(self) -> str:
        """Where the Dockerfile is read from ("-" for stdin), as docker resolves -f."""
        if self.dockerfile in (None, ""):
            return "-" if self.context == "-" else os.path.join(self.context, "Dockerfile")
        return self.dockerfile

    @property
    def dockerfile_name(self) -> str:
        """The name shown in snippets: the file's base name, like BuildKit."""
        if self.dockerfile == "-" or self.context == "-":
            return "Dockerfile"
        return os.path.basename(self.dockerfile_path) or "Dockerfile"

"""Ops: what the solver can do. Each op names its inputs; `identity()` is everything else
that decides its result. `meta` (the step's name and Dockerfile lines) is not identity.

    Scratch            an empty filesystem
    ImageSource        a base image from the local store (resolved to its manifest digest)
    ContextSource      the build context directory, filtered by .dockerignore
    Exec               RUN: a process in a container over `input`
    Copy               COPY/ADD: files from `source` (or heredocs, urls) into `input`
    Mkdir              WORKDIR: make a directory in `input`
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from pallet.errors import Range
from pallet.graph.digest import digest_of


@dataclass(frozen=True, slots=True)
class OpMeta:
    """How a step is shown and located; never part of a digest."""

    name: str = ""  # "[build 2/4] RUN make"
    ranges: tuple[Range, ...] = ()
    ignore_cache: bool = False
    # file times in the layer are clamped to this (unix seconds): the base image's creation
    # time, a function of the op's inputs, so equal keys still give equal layers
    epoch: int = 0


@dataclass(frozen=True)
class Op:
    meta: OpMeta = field(default=OpMeta(), compare=False, repr=False, kw_only=True)

    def inputs(self) -> tuple[Op, ...]:
        return tuple(getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), Op))

    def identity(self) -> dict:
        out: dict = {"op": type(self).__name__}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "meta" or f.metadata.get("local") or _is_ops(value):
                continue
            out[f.name] = _plain(value)
        return out

    def digest(self) -> str:
        # Kept once taken: an op is immutable, and each digest covers its inputs' digests,
        # so without it every call would hash the whole chain below the op again.
        known = self.__dict__.get("_digest")
        if known is None:
            known = digest_of({"self": self.identity(), "inputs": [i.digest() for i in self.inputs()]})
            object.__setattr__(self, "_digest", known)
        return known


def _is_ops(value) -> bool:
    """Inputs are digested through `inputs()`, not as fields."""
    return isinstance(value, Op) or (isinstance(value, tuple) and any(isinstance(v, Op) for v in value))


def _plain(value):
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


@dataclass(frozen=True)
class Scratch(Op):
    pass


@dataclass(frozen=True)
class ImageSource(Op):
    ref: str  # normalised reference, as shown: docker.io/library/busybox:local
    manifest_digest: str  # what it resolved to: the identity of the base


@dataclass(frozen=True)
class ContextSource(Op):
    """The context dir. Its digest is only its name: a Copy from it keys on the checksum of
    the files it selects (DESIGN.md: a file counts by its bytes and mode)."""

    name: str = "context"
    path: str = field(default="", metadata={"local": True})
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExecMount:
    """A RUN --mount, resolved: `source` is an Op for bind mounts (stage, image, context)."""

    type: str
    target: str
    source_path: str = ""
    readonly: bool = True
    cache_id: str = ""
    sharing: str = "shared"
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int | None = None
    secret_id: str = ""
    env: str = ""
    required: bool = False


@dataclass(frozen=True)
class Exec(Op):
    input: Op
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str = "/"
    user: str = ""
    network: str = "default"
    security: str = "sandbox"
    mounts: tuple[ExecMount, ...] = ()
    mount_sources: tuple[Op, ...] = ()  # inputs of bind/cache `from=` mounts, by position

    def inputs(self) -> tuple[Op, ...]:
        return (self.input, *self.mount_sources)


@dataclass(frozen=True)
class CopySpec:
    """One COPY/ADD as written after expansion; `sources` are paths in `source`."""

    sources: tuple[str, ...]
    dest: str
    cwd: str = "/"
    chown: str | None = None
    chmod: str | None = None
    exclude: tuple[str, ...] = ()
    parents: bool = False
    link: bool = False
    is_add: bool = False
    unpack: bool | None = None
    checksum: str | None = None
    heredocs: tuple[tuple[str, str, int], ...] = ()  # (name, content, mode) inline files


@dataclass(frozen=True)
class Copy(Op):
    input: Op
    source: Op
    spec: CopySpec


@dataclass(frozen=True)
class Mkdir(Op):
    input: Op
    path: str
    user: str = ""

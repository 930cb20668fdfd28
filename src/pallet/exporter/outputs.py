"""`-o/--output`, `--load`, `--push`: buildx's output grammar -> typed output specs.

Two steps, as buildx splits them:
- `parse_output(text)` is `util/buildflags/export.go:UnmarshalText`: CSV fields, `type=` and
  `dest=` pulled out, every other `key=value` kept as an attribute (keys lower-cased); a bare
  path means `type=local,dest=PATH` and a bare `-` means `type=tar,dest=-`.
- `resolve_outputs(options)` is `commands/build.go` + `build/opt.go`: `--push`/`--load`
  folded in, `-t` names given to the image-like outputs, the default (no output at all: the
  local image store, which is what `docker build` loads into) filled in, and every attribute
  checked. It raises OptionError before anything is built.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from pallet.archive.compression import Compression
from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import OptionError, UserError

OUTPUT_TYPES = ("local", "tar", "oci", "docker", "image", "registry", "cacheonly")
OUTPUT_HINT = "use -o PATH, -o - or -o type=local|tar|oci|docker|image|registry[,KEY=VALUE...]"

# Attributes BuildKit's exporters read (exporter/containerimage/opts.go, exporter/local,
# exporter/tar, exporter/oci). `annotation*` keys are matched by prefix.
_COMMIT_ATTRS = ("name", "compression", "compression-level", "force-compression",
                 "oci-mediatypes", "oci-artifact", "rewrite-timestamp", "buildinfo",
                 "buildinfo-attrs", "dangling-name-prefix", "name-canonical")
_ATTRS = {
    "local": ("platform-split", "mode"),
    "tar": ("platform-split",),
    "oci": (*_COMMIT_ATTRS, "tar"),
    "docker": (*_COMMIT_ATTRS, "tar", "context"),
    "image": (*_COMMIT_ATTRS, "push", "push-by-digest", "registry.insecure", "insecure",
              "unpack", "store"),
    "cacheonly": (),
}
_ANNOTATION_PREFIXES = ("annotation.", "annotation-index.", "annotation-manifest.",
                        "annotation-index-descriptor.", "annotation-manifest-descriptor.")
_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # Go's strconv.ParseBool
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_LEVELS = {Compression.GZIP: (0, 9), Compression.ZSTD: (0, 22), Compression.NONE: (0, 22)}


@dataclass
class OutputEntry:
    """One `--output` value as buildx parses it, before any checking."""

    type: str
    dest: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CommitOptions:
    """How an image is committed: what BuildKit's ImageCommitOpts carries."""

    compression: Compression = Compression.GZIP
    compression_level: int | None = None
    force_compression: bool = False
    oci_mediatypes: bool = True
    rewrite_timestamp: bool = False
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LocalOutput:
    """type=local: the target's filesystem copied into a directory."""

    dest: str
    platform_split: bool | None = None  # None: split when there is more than one platform
    replace: bool = False  # mode=delete: dest holds exactly the export afterwards


@dataclass(frozen=True)
class TarOutput:
    """type=tar: the target's filesystem as one tar file (or stdout)."""

    dest: str
    platform_split: bool | None = None


@dataclass(frozen=True)
class OciOutput:
    """type=oci: an OCI image layout, as a tar (default) or a directory (tar=false)."""

    dest: str
    names: tuple[str, ...] = ()
    tar: bool = True
    commit: CommitOptions = CommitOptions()


@dataclass(frozen=True)
class DockerOutput:
    """type=docker,dest=FILE: a docker-archive (`docker load` input); without dest: --load."""

    dest: str
    names: tuple[str, ...] = ()
    commit: CommitOptions = CommitOptions()


@dataclass(frozen=True)
class ImageOutput:
    """type=image (and type=registry, which is image with push=true)."""

    names: tuple[str, ...] = ()
    push: bool = False
    store: bool = True
    commit: CommitOptions = CommitOptions()


OutputSpec = LocalOutput | TarOutput | OciOutput | DockerOutput | ImageOutput


# ---------------------------------------------------------------------- parse --


def parse_output(text: str) -> OutputEntry:
    """One `--output` value -> OutputEntry (buildx's ExportEntry.UnmarshalText)."""
    fields = _csv_fields(text)
    if len(fields) == 1 and fields[0] == text and not text.startswith("type="):
        return OutputEntry("tar", "-") if text == "-" else OutputEntry("local", text)
    entry = OutputEntry("")
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise OptionError(f"invalid value {item}", hint=OUTPUT_HINT)
        key = key.strip().lower()
        if key == "type":
            entry.type = value
        elif key == "dest":
            entry.dest = value
        else:
            entry.attrs[key] = value
    if not entry.type:
        raise OptionError("type is required for output", hint=OUTPUT_HINT)
    return entry


def _csv_fields(text: str) -> list[str]:
    import csv  # here, not at the top: only -o values need it, and most builds have none

    try:
        rows = list(csv.reader([text], skipinitialspace=False, strict=True))
    except csv.Error as e:
        raise OptionError(f'invalid output "{text}": {e}', hint=OUTPUT_HINT) from None
    return rows[0] if rows else []


# -------------------------------------------------------------------- resolve --


def resolve_outputs(options) -> list[OutputSpec]:
    """The outputs of a build, checked; raises OptionError for any bad combination."""
    entries = _dedupe([parse_output(s) for s in options.outputs if s])
    for entry in entries:
        _check_type(entry)
    entries = _fold_flags(entries, options.push, options.load)
    if not entries:
        # docker build's default: the image into the store (as `image`, so that a
        # multi-platform build may still store its index there).
        entries = [OutputEntry("image")]
    _apply_tags(entries, options.tags)
    if len(options.platforms) > 1 and any(e.type == "docker" for e in entries):
        # --load too: it is the docker exporter, and docker's classic store keeps one platform.
        raise OptionError("docker exporter does not currently support exporting manifest lists",
                          hint="build one --platform for --load / type=docker, or use"
                               " -o type=oci,dest=FILE or --push for several platforms")
    specs = [_to_spec(e) for e in entries if e.type != "cacheonly"]
    _check_combinations(specs, options)
    return specs


def _dedupe(entries: list[OutputEntry]) -> list[OutputEntry]:
    out: list[OutputEntry] = []
    for e in entries:
        if e not in out:  # buildx's removeDupes: one output given twice is one output
            out.append(e)
    return out


def _check_type(entry: OutputEntry) -> None:
    if entry.type == "registry":  # buildflags: registry is image,push=true
        entry.type = "image"
        entry.attrs["push"] = "true"
    if entry.type not in _ATTRS:
        shown = [t for t in OUTPUT_TYPES if t != "cacheonly"]
        raise OptionError(f'output type "{entry.type}" is not supported'
                          + did_you_mean(entry.type, shown),
                          hint="the output types are: " + ", ".join(shown))
    known = _ATTRS[entry.type]
    for key in entry.attrs:
        if key in known or key.startswith(_ANNOTATION_PREFIXES):
            continue
        raise OptionError(f'unknown attribute "{key}" for output type={entry.type}'
                          + did_you_mean(key, known),
                          hint=f"type={entry.type} takes: " + ", ".join(("dest", *known)))


def _fold_flags(entries: list[OutputEntry], push: bool, load: bool) -> list[OutputEntry]:
    """--push and --load as buildx >= 0.13 adds them to the outputs given."""
    if push and load:
        raise OptionError("push and load may not be set together at the moment",
                          hint="--load keeps the image in the local store, --push sends it to"
                               " a registry: run two builds (the second one is cached)")
    if push:
        images = [e for e in entries if e.type == "image"]
        for e in images:
            e.attrs["push"] = "true"
        if not images:
            entries.append(OutputEntry("image", attrs={"push": "true"}))
    if load and not any(e.type == "docker" and not e.dest for e in entries):
        entries.append(OutputEntry("docker"))
    return entries


def _apply_tags(entries: list[OutputEntry], tags: list[str]) -> None:
    """-t names the image-like outputs (build/opt.go); without it, a push needs a name."""
    if tags:
        for e in entries:
            if e.type in ("image", "oci", "docker"):
                e.attrs["name"] = ",".join(tags)
        return
    for e in entries:
        if e.type == "image" and not e.attrs.get("name") and _bool(e, "push", False):
            raise OptionError("tag is needed when pushing to registry",
                              hint="add -t REGISTRY/NAME:TAG, or name=... to the output")


# ------------------------------------------------------------------ to specs --


def _to_spec(e: OutputEntry) -> OutputSpec:
    if e.type == "local":
        return LocalOutput(_local_dest(e), _optional_bool(e, "platform-split"), _local_mode(e))
    if e.type == "tar":
        return TarOutput(_file_dest(e), _optional_bool(e, "platform-split"))
    names = _names(e)
    if e.type == "oci":
        tar = _bool(e, "tar", True)
        dest = _file_dest(e) if tar else _dir_dest(e)
        return OciOutput(dest, names, tar, _commit(e, oci_default=True))
    if e.type == "docker":
        if not _bool(e, "tar", True):
            raise OptionError("tar=false is not supported for output type=docker",
                              hint="use type=oci,tar=false for an image layout directory")
        if not e.dest:
            # --load: buildx turns a file-less docker output into the image exporter of the
            # daemon's store; ours is the local store, whose images have always been OCI.
            return ImageOutput(names, commit=_commit(e, oci_default=True))
        return DockerOutput(_file_dest(e), names, _commit(e, oci_default=False))
    return ImageOutput(names, _bool(e, "push", False), _bool(e, "store", True),
                       _commit(e, oci_default=True))


def _local_mode(e: OutputEntry) -> bool:
    """BuildKit's local exporter `mode`: copy (merge into dest, the default) or delete."""
    mode = e.attrs.get("mode", "copy")
    if mode not in ("copy", "delete"):
        raise OptionError(f'invalid local exporter mode "{mode}"' + did_you_mean(mode, ("copy", "delete")),
                          hint="use mode=copy (merge into dest) or mode=delete (replace dest)")
    return mode == "delete"


def _names(e: OutputEntry) -> tuple[str, ...]:
    from pallet.image.reference import parse_tagged

    out = []
    for name in (e.attrs.get("name") or "").split(","):
        name = name.strip()
        if name:
            try:
                out.append(str(parse_tagged(name)))
            except UserError as err:
                raise OptionError(f'invalid output name "{name}": {err.message}',
                                  hint="a name is [REGISTRY/]REPOSITORY[:TAG]") from None
    return tuple(out)


def _commit(e: OutputEntry, *, oci_default: bool) -> CommitOptions:
    compression = _compression(e)
    oci = _bool(e, "oci-mediatypes", oci_default)
    if compression is Compression.ZSTD and not oci:
        # BuildKit switches to OCI media types itself: docker's have no zstd layer type.
        oci = True
    annotations = tuple(sorted((k.split(".", 1)[1], v) for k, v in e.attrs.items()
                               if k.startswith("annotation.") or k.startswith("annotation-manifest.")))
    return CommitOptions(compression, _level(e, compression), _bool(e, "force-compression", False),
                         oci, _bool(e, "rewrite-timestamp", False), annotations)


def _compression(e: OutputEntry) -> Compression:
    text = e.attrs.get("compression", "gzip")
    if text == "estargz":
        raise OptionError('compression "estargz" is not supported',
                          hint="use compression=gzip, zstd or uncompressed")
    try:
        return Compression.parse(text)
    except UserError:
        raise OptionError(f'invalid compression "{text}"'
                          + did_you_mean(text, ("gzip", "zstd", "uncompressed")),
                          hint="use compression=gzip, zstd or uncompressed") from None


def _level(e: OutputEntry, compression: Compression) -> int | None:
    text = e.attrs.get("compression-level")
    if text is None or text == "":
        return None
    lo, hi = _LEVELS[compression]
    try:
        level = int(text)
    except ValueError:
        level = None
    if level is None or not lo <= level <= hi:
        raise OptionError(f'invalid compression-level "{text}" for {compression.value}',
                          hint=f"use a whole number from {lo} to {hi}")
    return level


def _bool(e: OutputEntry, key: str, default: bool) -> bool:
    value = _optional_bool(e, key)
    return default if value is None else value


def _optional_bool(e: OutputEntry, key: str) -> bool | None:
    if key not in e.attrs:
        return None
    text = e.attrs[key]
    if text in _TRUE or text == "":  # BuildKit takes a bare `key=` as true
        return True
    if text in _FALSE:
        return False
    raise OptionError(f'non-bool value specified for {key}: "{text}"', hint="use true or false")


# --------------------------------------------------------------- destinations --


def _local_dest(e: OutputEntry) -> str:
    if not e.dest:
        raise OptionError("dest directory is required for local exporter",
                          hint="use -o type=local,dest=DIR (or just -o DIR)")
    if os.path.exists(e.dest) and not os.path.isdir(e.dest):
        raise OptionError(f"destination directory {e.dest} is a file",
                          hint="give a directory (it is created if missing), or -o type=tar,dest=FILE")
    return e.dest


def _dir_dest(e: OutputEntry) -> str:
    if not e.dest or e.dest == "-":
        raise OptionError(f"dest directory is required for {e.type} exporter",
                          hint=f"use -o type={e.type},tar=false,dest=DIR")
    if os.path.exists(e.dest) and not os.path.isdir(e.dest):
        raise OptionError(f"destination directory {e.dest} is a file",
                          hint="tar=false writes an image layout directory; drop it for a tar file")
    return e.dest


def _file_dest(e: OutputEntry) -> str:
    if not e.dest or e.dest == "-":
        if sys.stdout.isatty():
            raise OptionError(f"dest file is required for {e.type} exporter. refusing to write"
                              " to console", hint=f"use -o type={e.type},dest=FILE, or redirect stdout")
        return "-"
    if os.path.isdir(e.dest):
        raise OptionError(f"destination file {e.dest} is a directory",
                          hint=f"type={e.type} writes one file; give a file name")
    return e.dest


# ---------------------------------------------------------------- combinations --


def _check_combinations(specs: list[OutputSpec], options) -> None:
    if options.iidfile and any(isinstance(s, LocalOutput | TarOutput) for s in specs):
        raise OptionError("local and tar exporters are incompatible with image ID file",
                          hint="drop --iidfile, or add an image output (--load, -o type=oci,...)")
    if sum(1 for s in specs if getattr(s, "dest", "") == "-") > 1:
        raise OptionError("only one output can be written to stdout",
                          hint="give the other outputs a dest=FILE")

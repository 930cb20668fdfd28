"""`--cache-to` / `--cache-from`: buildx's cache grammar -> typed, checked specs.

buildx (util/buildflags/cache.go:ParseCacheEntry) reads each value as CSV `key=value`
fields with a `type=`; a value with no `=` at all is a registry ref
(`--cache-from user/app:cache` = `type=registry,ref=user/app:cache`). Every attribute is
checked here, before anything is built, so a typo fails in a second instead of after the build.

    type=registry  ref=HOST/REPO:TAG  mode=min|max (to)   the cache as a manifest in a registry
    type=local     dest=DIR (to) src=DIR (from) tag=...    the cache in an OCI layout directory
    type=inline    (to only)                                 cache metadata in the image config;
                                                             read back with type=registry,ref=IMAGE
"""

from __future__ import annotations

from dataclasses import dataclass

from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import OptionError, UserError

CACHE_TYPES = ("registry", "local", "inline")
# BuildKit backends pallet does not have: named, so the message says "not supported", not "unknown".
UNSUPPORTED_TYPES = ("gha", "s3", "azblob")
MODES = ("min", "max")
DEFAULT_TAG = "latest"  # BuildKit's local cache tag

# Attributes BuildKit's cache backends read (cache/remotecache/{registry,local,inline}).
# The ones that only tune BuildKit's upload (compression...) are accepted and documented as
# no-ops: the cache reuses the layer blobs the build already stored.
_COMMON_TO = ("mode", "ignore-error", "image-manifest", "oci-mediatypes", "compression",
              "compression-level", "force-compression")
_ATTRS_TO = {
    "registry": ("ref", *_COMMON_TO),
    "local": ("dest", "tag", *_COMMON_TO),
    "inline": ("mode",),
}
_ATTRS_FROM = {
    "registry": ("ref",),
    "local": ("src", "tag", "digest"),
    "inline": (),
}
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
HINT = "use type=registry,ref=HOST/REPO:TAG or type=local,dest=DIR (src=DIR for --cache-from)"


@dataclass(frozen=True)
class CacheExport:
    """One `--cache-to`: where, how much (mode) and whether a failure stops the build."""

    type: str  # registry | local | inline
    ref: str = ""  # registry: the normalised reference
    path: str = ""  # local: the directory
    tag: str = DEFAULT_TAG
    mode: str = "min"
    ignore_error: bool = False

    @property
    def shown(self) -> str:
        return self.ref or self.path or self.type


@dataclass(frozen=True)
class CacheImport:
    """One `--cache-from`: a registry ref (a cache manifest or an image with inline cache),
    or a local layout directory."""

    type: str  # registry | local
    ref: str = ""
    path: str = ""
    tag: str = DEFAULT_TAG
    digest: str = ""

    @property
    def shown(self) -> str:
        return self.ref or self.path


def parse_cache_to(values: list[str]) -> list[CacheExport]:
    return [_export(_fields(v, "--cache-to")) for v in values if v.strip()]


def parse_cache_from(values: list[str]) -> list[CacheImport]:
    return [_import(_fields(v, "--cache-from")) for v in values if v.strip()]


def _fields(text: str, flag: str) -> dict[str, str]:
    if "=" not in text:  # buildx: a bare value is a registry ref
        return {"type": "registry", "ref": text.strip(), "flag": flag}
    import csv  # here, not at the top: most builds have no cache flags

    try:
        row = next(csv.reader([text], strict=True), [])
    except csv.Error as e:
        raise OptionError(f'invalid {flag} value "{text}": {e}', hint=HINT) from None
    out: dict[str, str] = {}
    for item in row:
        key, sep, value = item.partition("=")
        if not sep:
            raise OptionError(f'invalid value "{item}" in {flag} "{text}"', hint="each field is KEY=VALUE")
        out[key.strip().lower()] = value
    if not out.get("type"):
        raise OptionError(f'type required for {flag} "{text}"', hint=HINT)
    out["flag"] = flag
    return out


def _check(fields: dict[str, str], table: dict[str, tuple[str, ...]]) -> str:
    flag, kind = fields.get("flag", ""), fields["type"]
    if kind in UNSUPPORTED_TYPES:
        raise OptionError(f'cache type "{kind}" is not supported by pallet',
                          hint="use type=registry (any OCI registry) or type=local")
    if kind not in table:
        raise OptionError(f'unknown cache type "{kind}" for {flag}' + did_you_mean(kind, table),
                          hint=HINT)
    known = table[kind]
    for key in fields:
        if key not in ("type", "flag") and key not in known:
            raise OptionError(f'unknown attribute "{key}" for {flag} type={kind}' + did_you_mean(key, known),
                              hint=f"type={kind} takes: " + ", ".join(known))
    return kind


def _export(fields: dict[str, str]) -> CacheExport:
    kind = _check(fields, _ATTRS_TO)
    mode = fields.get("mode", "min")
    if mode not in MODES:
        raise OptionError(f'invalid mode "{mode}" for --cache-to' + did_you_mean(mode, MODES),
                          hint="mode=min exports the final image's steps, mode=max every stage's")
    ignore = _bool(fields, "ignore-error")
    if kind == "inline":
        if mode == "max":
            # BuildKit: inline cache can only describe the image's own layers.
            raise OptionError("inline cache does not support mode=max",
                              hint="use type=registry,ref=...,mode=max to keep intermediate stages")
        return CacheExport("inline")
    if kind == "registry":
        return CacheExport("registry", ref=_ref(fields, "--cache-to"), mode=mode, ignore_error=ignore)
    dest = fields.get("dest", "")
    if not dest:
        raise OptionError("dest required for local cache exporter", hint="use type=local,dest=DIR")
    return CacheExport("local", path=dest, tag=fields.get("tag") or DEFAULT_TAG, mode=mode, ignore_error=ignore)


def _import(fields: dict[str, str]) -> CacheImport:
    if fields["type"] == "inline":
        raise OptionError("--cache-from type=inline is not a cache source",
                          hint="read an image's inline cache with --cache-from type=registry,ref=IMAGE")
    kind = _check(fields, _ATTRS_FROM)
    if kind == "registry":
        return CacheImport("registry", ref=_ref(fields, "--cache-from"))
    src = fields.get("src", "")
    if not src:
        raise OptionError("src required for local cache importer", hint="use type=local,src=DIR")
    return CacheImport("local", path=src, tag=fields.get("tag") or DEFAULT_TAG, digest=fields.get("digest", ""))


def _ref(fields: dict[str, str], flag: str) -> str:
    from pallet.image.reference import parse_tagged

    text = fields.get("ref", "").strip()
    if not text:
        raise OptionError(f"ref required for registry cache ({flag})", hint="use type=registry,ref=HOST/REPO:TAG")
    try:
        return str(parse_tagged(text))
    except UserError as err:
        raise OptionError(f'invalid cache ref "{text}": {err.message}',
                          hint="a ref is [REGISTRY/]REPOSITORY[:TAG]") from None


def _bool(fields: dict[str, str], key: str) -> bool:
    text = fields.get(key)
    if text is None or text in _FALSE:
        return False
    if text in _TRUE or text == "":
        return True
    raise OptionError(f'non-bool value specified for {key}: "{text}"', hint="use true or false")

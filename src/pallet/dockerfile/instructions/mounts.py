"""`RUN --mount=...` specs as typed mounts (instructions/commands_runmount.go).

BuildKit reads a spec twice: at parse time without variables (only `from=` is checked, and
values holding `$` wait), and again at dispatch with every value expanded. We do the same:
`parse_mount(spec)` validates all it can and keeps the raw spec; `Mount.expand(lex, env)`
re-parses it with each option value expanded and validates the rest.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

from pallet.dockerfile.instructions.csvfields import CsvError, read_record
from pallet.dockerfile.goquote import go_quote
from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import InstructionError

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
SHARING_MODES = ("shared", "private", "locked")
ALL_KEYS = ("type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
            "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env")
_ALIASES = {"src": "source", "dst": "target", "destination": "target", "ro": "readonly",
            "rw": "readwrite"}
_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


@dataclass(frozen=True, slots=True)
class Mount:
    """Base of the mount types; `spec` is the `--mount` value as written."""

    spec: str = field(default="", compare=False, repr=False, kw_only=True)

    def expand(self, lex, env: Mapping[str, str]) -> Mount:
        """This mount with every option value expanded (BuildKit's `setMountState`)."""
        return parse_mount(self.spec, lambda word: lex.expand_word(word, env))


@dataclass(frozen=True, slots=True)
class BindMount(Mount):
    """--mount=type=bind,target=path[,source=path][,from=stage][,rw]"""

    target: str = ""
    source: str = ""
    from_: str = ""
    readonly: bool = True


@dataclass(frozen=True, slots=True)
class CacheMount(Mount):
    """--mount=type=cache,target=path[,id=][,sharing=][,from=][,source=][,mode=][,uid=][,gid=][,ro]"""

    target: str = ""
    id: str = ""  # BuildKit falls back to the target when empty
    readonly: bool = False
    sharing: str = "shared"
    from_: str = ""
    source: str = ""
    mode: int | None = None  # the default 0755 is applied when the cache dir is made
    uid: int | None = None
    gid: int | None = None


@dataclass(frozen=True, slots=True)
class TmpfsMount(Mount):
    """--mount=type=tmpfs,target=path[,size=bytes]"""

    target: str = ""
    size: int | None = None  # bytes; None is unlimited


@dataclass(frozen=True, slots=True)
class SecretMount(Mount):
    """--mount=type=secret,id=name[,target=path][,env=NAME][,required][,mode=][,uid=][,gid=]"""

    id: str = ""
    target: str | None = None  # None when only env= was asked for
    env: str | None = None
    required: bool = False
    mode: int | None = None  # 0400 when None
    uid: int | None = None
    gid: int | None = None


@dataclass(frozen=True, slots=True)
class SshMount(Mount):
    """--mount=type=ssh[,id=default][,target=path][,required][,mode=][,uid=][,gid=]"""

    id: str = "default"
    target: str | None = None  # /run/buildkit/ssh_agent.<n> when None
    required: bool = False
    mode: int | None = None  # 0600 when None
    uid: int | None = None
    gid: int | None = None


@dataclass(slots=True)
class _Draft:
    """BuildKit's `types.Mount` while options are read."""

    type: str = "bind"
    from_: str = ""
    source: str = ""
    target: str = ""
    readonly: bool = False
    ro_auto: bool = True
    required: bool = False
    size: int | None = None
    id: str = ""
    sharing: str = ""
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    env: str | None = None
    deferred: bool = False  # a value waits for expansion, so checks across options wait too


def parse_mount(spec: str, expand: Callable[[str], str] | None = None) -> Mount:
    """Parse one `--mount` value; `expand` expands each option value (dispatch time)."""
    try:
        options = read_record(spec)
    except CsvError as e:
        raise InstructionError(f"failed to parse csv mounts: {e}") from None
    draft = _Draft()
    for option in options:
        _read_option(draft, option, expand)
    if not draft.deferred:
        _validate(draft)
    return _typed(draft, spec)


def _read_option(draft: _Draft, option: str, expand: Callable[[str], str] | None) -> None:
    key, has_value, value = option.partition("=")
    key = key.lower()
    if not has_value:
        _read_bare(draft, key, option)
        return
    if expand is not None:
        value = expand(value)
    elif key == "from" and re.search(r"\$.", value):
        raise InstructionError(
            "'from' doesn't support variable expansion, define alias stage instead")
    elif "$" in value and key != "from":
        draft.deferred = True
        _keep_raw(draft, key, value)
        return
    _set(draft, key, value, option)


def _read_bare(draft: _Draft, key: str, option: str) -> None:
    if key in ("readonly", "ro", "readwrite", "rw"):
        draft.readonly = key in ("readonly", "ro")
        draft.ro_auto = False
    elif key == "required":
        _check_key_allowed(draft, key, ("secret", "ssh"))
        draft.required = True
    else:
        raise InstructionError(f"invalid field '{option}' must be a key=value pair")


def _keep_raw(draft: _Draft, key: str, value: str) -> None:
    """Keep a string option whose value waits for expansion; typed ones wait entirely."""
    name = _ALIASES.get(key, key)
    if name in ("source", "target", "id", "env"):
        setattr(draft, name, value)


def _set(draft: _Draft, key: str, value: str, option: str) -> None:
    name = _ALIASES.get(key, key)
    setter = _SETTERS.get(name)
    if setter is None:
        hint = did_you_mean(key, ALL_KEYS, case_sensitive=True)
        raise InstructionError(f"unexpected key '{key}' in '{option}'{hint}")
    setter(draft, key, value)


def _set_type(draft: _Draft, key: str, value: str) -> None:
    draft.type = _one_of(value, MOUNT_TYPES, "mount type")


def _set_readonly(draft: _Draft, key: str, value: str) -> None:
    flag = _go_bool(key, value)
    draft.readonly = flag if _ALIASES.get(key, key) == "readonly" else not flag
    draft.ro_auto = False


def _set_required(draft: _Draft, key: str, value: str) -> None:
    _check_key_allowed(draft, key, ("secret", "ssh"))
    draft.required = _go_bool(key, value)


def _check_key_allowed(draft: _Draft, key: str, types: tuple[str, ...]) -> None:
    if draft.type not in types:
        raise InstructionError(f"unexpected key '{key}' for mount type '{draft.type}'")


def _set_size(draft: _Draft, key: str, value: str) -> None:
    _check_key_allowed(draft, key, ("tmpfs",))
    draft.size = _ram_in_bytes(key, value)


def _set_sharing(draft: _Draft, key: str, value: str) -> None:
    draft.sharing = _one_of(value, SHARING_MODES, "sharing value")


def _one_of(value: str, choices: tuple[str, ...], what: str) -> str:
    """`value` lower-cased, or an error naming the closest of `choices`."""
    if value.lower() not in choices:
        hint = did_you_mean(value, choices, case_sensitive=True)
        raise InstructionError(f"unsupported {what} {go_quote(value)}{hint}")
    return value.lower()


def _set_number(draft: _Draft, key: str, value: str) -> None:
    digits = "01234567" if key == "mode" else "0123456789"
    if not value or any(c not in digits for c in value) or int(value, len(digits)) >= 1 << 32:
        raise InstructionError(f"invalid value {value} for {key}")
    setattr(draft, key, int(value, len(digits)))


def _set_string(name: str) -> Callable[[_Draft, str, str], None]:
    return lambda draft, key, value: setattr(draft, name, value)


_SETTERS: dict[str, Callable[[_Draft, str, str], None]] = {
    "type": _set_type,
    "from": _set_string("from_"),
    "source": _set_string("source"),
    "target": _set_string("target"),
    "readonly": _set_readonly,
    "readwrite": _set_readonly,
    "required": _set_required,
    "size": _set_size,
    "id": _set_string("id"),
    "sharing": _set_sharing,
    "mode": _set_number,
    "uid": _set_number,
    "gid": _set_number,
    "env": _set_string("env"),
}


def _go_bool(key: str, value: str) -> bool:
    """strconv.ParseBool."""
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    raise InstructionError(f"invalid value for {key}: {value}")


_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def _ram_in_bytes(key: str, value: str) -> int:
    """docker/go-units RAMInBytes: `64m`, `1.5GiB`, `512`; binary multiples."""
    match = _RAM.match(value)
    try:
        number = float(match.group(1)) if match else None
    except ValueError:
        number = None
    if number is None:
        raise InstructionError(f"invalid value for {key}: {value}")
    suffix = (match.group(2) or "").lower()
    power = "kmgtp".index(suffix) + 1 if suffix else 0
    return int(number * (1024**power))


def _validate(draft: _Draft) -> None:
    """BuildKit's `validateMount`, in its order."""
    if draft.type not in ("secret", "ssh", "cache"):
        for name in ("mode", "uid", "gid"):
            if getattr(draft, name) is not None:
                raise InstructionError(f"{name} not allowed for {go_quote(draft.type)} type mounts")
    if draft.type == "secret":
        _validate_secret(draft)
    if draft.sharing and draft.type != "cache":
        raise InstructionError(f"invalid cache sharing set for {draft.type} mount")


def _validate_secret(draft: _Draft) -> None:
    if draft.from_:
        raise InstructionError("secret mount should not have a from")
    if draft.sharing:
        raise InstructionError("secret mount should not define sharing")
    if not (draft.source or draft.target or draft.id or draft.env):
        raise InstructionError("invalid secret mount. one of source, target required")
    if draft.source and draft.id:
        raise InstructionError("both source and id can't be set")


def _typed(draft: _Draft, spec: str) -> Mount:
    if draft.ro_auto:  # read-only unless a cache or tmpfs, or rw was asked for
        draft.readonly = draft.type not in ("cache", "tmpfs")
    return _BUILDERS[draft.type](draft, spec)


def _pick(cls: type[Mount], draft: _Draft, spec: str, **overrides) -> Mount:
    names = {f.name for f in fields(cls)} - {"spec"}
    values = {name: getattr(draft, name) for name in names if name not in overrides}
    return cls(**values, **overrides, spec=spec)


def _secret(draft: _Draft, spec: str) -> Mount:
    # dockerfile2llb/convert_secrets.go: id from source, id or the target's base name;
    # the file goes to /run/secrets/<id> unless only env= was asked for
    secret_id = draft.source or draft.id or posixpath.basename(draft.target)
    target = draft.target or None
    if target is None and draft.env is None:
        target = "/run/secrets/" + posixpath.basename(secret_id)
    return _pick(SecretMount, draft, spec, id=secret_id, target=target)


_BUILDERS: dict[str, Callable[[_Draft, str], Mount]] = {
    "bind": lambda d, s: _pick(BindMount, d, s),
    "cache": lambda d, s: _pick(CacheMount, d, s, sharing=d.sharing or "shared"),
    "tmpfs": lambda d, s: _pick(TmpfsMount, d, s),
    "secret": _secret,
    "ssh": lambda d, s: _pick(SshMount, d, s, id=d.id or "default", target=d.target or None),
}

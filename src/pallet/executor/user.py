"""USER strings to uid, gid and supplementary gids, looked up in the image's files.

BuildKit (`executor/oci/user.go:GetUser`) takes a fast path for `uid:gid` (both
numeric, or `root`) without reading any file, and otherwise asks runc's
`libcontainer/user.GetExecUser` with the container's /etc/passwd and /etc/group.
We match both, including their error wording, which users grep for:

    unable to find user ghost: no matching entries in passwd file
    unable to find group staff: no matching entries in group file

GetExecUser's rules: a numeric user with no passwd entry is that uid with gid 0;
a named user takes its passwd gid; an explicit `:group` replaces the gid and then
no supplementary groups apply; otherwise every /etc/group entry that lists the
user's name adds its gid. A missing passwd or group file counts as empty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pallet.errors import BuildError
from pallet.executor.rootfs import resolve_in_root

MAX_ID = 2**31 - 1  # libcontainer/user: minID, maxID


@dataclass(frozen=True, slots=True)
class ExecUser:
    """What goes into config.json's process.user."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    id: int
    gid: int = 0
    members: tuple[str, ...] = ()


class UserLookupError(BuildError):
    """A USER (or its group) is not in the image's /etc/passwd (or /etc/group)."""


def resolve_user(spec: str, passwd: str | None, group: str | None) -> ExecUser:
    """Resolve a USER string against the text of /etc/passwd and /etc/group (None: absent)."""
    fast = _parse_uid_gid(spec)
    if fast is not None:
        return fast
    user_arg, _, group_arg = spec.partition(":")
    group_arg = group_arg.partition(":")[0]
    uid, gid, name = _lookup_user(user_arg, _parse_passwd(passwd))
    groups = _parse_group(group)
    if group_arg:
        return ExecUser(uid, _lookup_group(group_arg, groups))
    if name:
        return ExecUser(uid, gid, tuple(g.id for g in groups if name in g.members))
    return ExecUser(uid, gid)


def resolve_user_in_root(rootfs: str | os.PathLike[str], spec: str) -> ExecUser:
    """Resolve a USER string against the files of a mounted root filesystem."""
    fast = _parse_uid_gid(spec)
    if fast is not None:
        return fast  # BuildKit reads no file for uid:gid
    return resolve_user(spec, _read(rootfs, "/etc/passwd"), _read(rootfs, "/etc/group"))


def _parse_uid_gid(spec: str) -> ExecUser | None:
    """BuildKit's `ParseUIDGID` fast path: "" or both parts numeric (`root` counts as 0)."""
    if spec == "":
        return ExecUser(0, 0)
    user, sep, group = spec.partition(":")
    if not sep:
        return None
    ids = [_numeric_id(user), _numeric_id(group)]
    if None in ids:
        return None
    return ExecUser(ids[0], ids[1])  # type: ignore[arg-type]


def _numeric_id(text: str) -> int | None:
    if text == "root":
        return 0
    if text.isascii() and text.isdigit() and int(text) <= 2**32 - 1:
        return int(text)
    return None


def _lookup_user(arg: str, users: list[_Entry]) -> tuple[int, int, str]:
    """(uid, gid, matched name) as GetExecUser finds them; defaults are 0, 0."""
    number = _atoi(arg)
    if arg == "":
        match = [u for u in users if u.id == 0]
    elif number is not None:
        match = [u for u in users if u.id == number]
    else:
        match = [u for u in users if u.name == arg]
    if match:
        return match[0].id, match[0].gid, match[0].name
    if number is None:
        raise UserLookupError(f"unable to find user {arg}: no matching entries in passwd file")
    return _in_range(number), 0, ""


def _lookup_group(arg: str, groups: list[_Entry]) -> int:
    number = _atoi(arg)
    match = [g for g in groups if (g.id == number if number is not None else g.name == arg)]
    if match:
        return match[0].id
    if number is None:
        raise UserLookupError(f"unable to find group {arg}: no matching entries in group file")
    return _in_range(number)


def _in_range(number: int) -> int:
    if not 0 <= number <= MAX_ID:
        raise UserLookupError(f"uids and gids must be in range 0-{MAX_ID}")
    return number


def _atoi(text: str) -> int | None:
    """Go's strconv.Atoi, enough for ids: optional sign, then digits."""
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return int(text)


def _parse_passwd(text: str | None) -> list[_Entry]:
    """name:password:uid:gid:gecos:home:shell, as libcontainer/user.ParsePasswdFilter reads it."""
    out = []
    for fields in _lines(text):
        fields += [""] * 4
        out.append(_Entry(fields[0], _atoi(fields[2]) or 0, _atoi(fields[3]) or 0))
    return out


def _parse_group(text: str | None) -> list[_Entry]:
    """name:password:gid:member,member."""
    out = []
    for fields in _lines(text):
        fields += [""] * 4
        members = tuple(m for m in fields[3].split(",") if m)
        out.append(_Entry(fields[0], _atoi(fields[2]) or 0, members=members))
    return out


def _lines(text: str | None) -> list[list[str]]:
    return [line.strip().split(":") for line in (text or "").splitlines() if line.strip()]


def _read(rootfs: str | os.PathLike[str], path: str) -> str | None:
    try:
        return resolve_in_root(rootfs, path).read_text(errors="replace")
    except OSError:  # missing, not a file, a symlink loop: runc treats all as "no file"
        return None

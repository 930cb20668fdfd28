"""USER resolution: BuildKit's uid:gid fast path, then runc's GetExecUser rules."""

from __future__ import annotations

import os

import pytest

from pallet.executor.user import ExecUser, UserLookupError, resolve_user, resolve_user_in_root

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin

app:x:1000:1000:App:/home/app:/bin/sh
builder:x:1001:100::/home/builder:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """\
root:x:0:
wheel:x:10:root,builder
users:x:100:
app:x:1000:
docker:x:999:builder,app
nogroup:x:65534:
"""

RESOLVE_CASES = [
    ("", ExecUser(0, 0)),
    ("root", ExecUser(0, 0, (10,))),
    ("0", ExecUser(0, 0, (10,))),
    ("app", ExecUser(1000, 1000, (999,))),
    ("builder", ExecUser(1001, 100, (10, 999))),
    ("nobody", ExecUser(65534, 65534)),
    ("1000", ExecUser(1000, 1000, (999,))),
    ("4242", ExecUser(4242, 0)),
    ("1000:1000", ExecUser(1000, 1000)),
    ("root:root", ExecUser(0, 0)),
    ("app:users", ExecUser(1000, 100)),
    ("app:100", ExecUser(1000, 100)),
    ("app:4242", ExecUser(1000, 4242)),
    ("4242:users", ExecUser(4242, 100)),
    ("nobody:nogroup", ExecUser(65534, 65534)),
]

ERROR_CASES = [
    ("ghost", "unable to find user ghost: no matching entries in passwd file"),
    ("ghost:root", "unable to find user ghost: no matching entries in passwd file"),
    ("app:staff", "unable to find group staff: no matching entries in group file"),
    ("-1", "uids and gids must be in range 0-2147483647"),
    ("app:-5", "uids and gids must be in range 0-2147483647"),
]


@pytest.mark.parametrize("spec, expected", RESOLVE_CASES, ids=[c[0] or "empty" for c in RESOLVE_CASES])
def test_resolve(spec, expected):
    assert resolve_user(spec, PASSWD, GROUP) == expected


@pytest.mark.parametrize("spec, message", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_use_runc_wording(spec, message):
    with pytest.raises(UserLookupError) as info:
        resolve_user(spec, PASSWD, GROUP)
    assert str(info.value) == message


def test_missing_files_allow_numeric_ids_only():
    assert resolve_user("1234", None, None) == ExecUser(1234, 0)
    assert resolve_user("1234:5", None, None) == ExecUser(1234, 5)
    with pytest.raises(UserLookupError, match="no matching entries in passwd file"):
        resolve_user("app", None, None)
    with pytest.raises(UserLookupError, match="unable to find group users"):
        resolve_user("1:users", PASSWD, None)


def test_first_matching_entry_wins():
    passwd = "dup:x:5:5::/:/bin/sh\ndup:x:6:6::/:/bin/sh\n"
    assert resolve_user("dup", passwd, "") == ExecUser(5, 5)


def test_lookup_error_is_a_build_error_with_no_traceback():
    with pytest.raises(UserLookupError) as info:
        resolve_user("ghost", "", "")
    assert info.value.render() == "error: unable to find user ghost: no matching entries in passwd file"


def test_resolve_in_root_follows_symlinks_inside_the_root(tmp_path):
    (tmp_path / "usr/etc").mkdir(parents=True)
    (tmp_path / "usr/etc/passwd").write_text(PASSWD)
    (tmp_path / "usr/etc/group").write_text(GROUP)
    os.symlink("/usr/etc", tmp_path / "etc")
    assert resolve_user_in_root(tmp_path, "builder") == ExecUser(1001, 100, (10, 999))


def test_resolve_in_root_without_etc(tmp_path):
    assert resolve_user_in_root(tmp_path, "7:8") == ExecUser(7, 8)
    assert resolve_user_in_root(tmp_path, "7") == ExecUser(7, 0)
    with pytest.raises(UserLookupError):
        resolve_user_in_root(tmp_path, "nobody")

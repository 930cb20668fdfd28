"""RuncExecutor: real containers from busybox over overlayfs (root, runc, busybox-static)."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from pallet.errors import BuildError
from pallet.executor import (
    ContainerStartError,
    ProcessSpec,
    RuncExecutor,
    RuncNotFoundError,
    UserLookupError,
    bind_mount,
    tmpfs_mount,
)
from pallet.testing import mounts_under
from pallet.testing.runtime import snapshotter_and_runc


@pytest.fixture
def env(tmp_path):
    yield from snapshotter_and_runc(tmp_path)


class Output:
    def __init__(self):
        self.lines: list[tuple[str, bytes]] = []

    def __call__(self, stream: str, line: bytes) -> None:
        self.lines.append((stream, line))

    def text(self, stream: str = "stdout") -> str:
        return b"".join(line for s, line in self.lines if s == stream).decode()


def run(sn, ex, key, *args, **process):
    out = Output()
    code = ex.run(ProcessSpec(args, **process), sn.prepare(key, ["busybox"]), on_output=out)
    return code, out


def sh(sn, ex, key, script, **process):
    return run(sn, ex, key, "/bin/sh", "-c", script, **process)


def assert_clean(tmp_path):
    assert os.listdir(tmp_path / "bundles") == []
    assert mounts_under(tmp_path) == []
    listed = subprocess.run(["runc", "--root", str(tmp_path / "runc"), "list", "-q"],
                            capture_output=True, text=True)
    assert listed.stdout.strip() == ""


def test_echo_hello(env):
    sn, ex, tmp_path = env
    code, out = sh(sn, ex, "k", "echo hello")
    assert (code, out.lines) == (0, [("stdout", b"hello\n")])
    assert_clean(tmp_path)


@pytest.mark.parametrize("status", [0, 1, 3, 255])
def test_exit_code_propagates(env, status):
    sn, ex, _ = env
    assert sh(sn, ex, "k", f"exit {status}")[0] == status


def test_streams_are_split_into_lines_with_partial_last_line(env):
    sn, ex, _ = env
    _, out = sh(sn, ex, "k", "printf 'a\\nb\\n'; echo err >&2; printf tail")
    assert [line for s, line in out.lines if s == "stdout"] == [b"a\n", b"b\n", b"tail"]
    assert out.text("stderr") == "err\n"


def test_stdin_is_closed(env):
    sn, ex, _ = env
    code, out = sh(sn, ex, "k", "cat; echo rc=$?")
    assert (code, out.text()) == (0, "rc=0\n")


def test_env_and_cwd_are_honoured(env):
    sn, ex, _ = env
    code, out = sh(sn, ex, "k", 'echo "$FOO|$HOME|$PATH"; pwd', env=("FOO=bar baz",), cwd="/tmp")
    assert out.text() == "bar baz|/root|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/tmp\n"


def test_workdir_is_created(env):
    sn, ex, _ = env
    code, out = sh(sn, ex, "k", "pwd", cwd="/x/y")
    assert (code, out.text()) == (0, "/x/y\n")
    st = os.stat(sn.upper_dir("k") / "x/y")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o755, 0, 0)


def test_workdir_is_owned_by_the_user(env):
    sn, ex, _ = env
    code, out = sh(sn, ex, "k", "touch mine && pwd", cwd="/home/app", user="nobody")
    assert (code, out.text()) == (0, "/home/app\n")
    st = os.stat(sn.upper_dir("k") / "home/app")
    assert (st.st_uid, st.st_gid) == (65534, 65534)


def test_user_nobody(env):
    sn, ex, _ = env
    code, out = sh(sn, ex, "k", "id -u; id -g; id -G", user="nobody")
    assert out.text() == "65534\n65534\n65534\n"


def test_numeric_user_and_group(env):
    sn, ex, _ = env
    _, out = sh(sn, ex, "k", "id -u; id -g", user="1234:5678")
    assert out.text() == "1234\n5678\n"


def test_unknown_user_fails_like_buildkit(env):
    sn, ex, tmp_path = env
    with pytest.raises(UserLookupError, match="^unable to find user ghost: no matching entries in passwd file$"):
        sh(sn, ex, "k", "true", user="ghost")
    assert_clean(tmp_path)


def test_network_none_has_only_loopback(env):
    sn, ex, _ = env
    code, out = sh(sn, ex, "k", "ls /sys/class/net", network="none")
    assert (code, out.text().split()) == (0, ["lo"])


def test_host_network_sees_the_hosts_interfaces(env):
    sn, ex, _ = env
    _, out = sh(sn, ex, "k", "ls /sys/class/net")
    assert sorted(out.text().split()) == sorted(os.listdir("/sys/class/net"))


def test_hostname_hosts_and_resolv_conf(env):
    sn, ex, _ = env
    _, out = sh(sn, ex, "k", "hostname; cat /etc/hosts; test -s /etc/resolv.conf && echo resolv")
    assert out.text() == (
        "buildkitsandbox\n127.0.0.1\tlocalhost buildkitsandbox\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\nresolv\n"
    )


def test_the_upper_dir_has_buildkits_mountpoints_and_no_stubs(env):
    sn, ex, _ = env
    sh(sn, ex, "k", "true")
    upper = sn.upper_dir("k")
    for name in ("dev", "proc", "sys"):
        st = os.lstat(upper / name)
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755
        assert (st.st_uid, st.st_gid, os.listdir(upper / name)) == (0, 0, [])
    assert not (upper / "etc/hosts").exists() and not (upper / "etc/resolv.conf").exists()
    assert not (upper / "etc/hostname").exists()


def test_extra_bind_and_tmpfs_mounts(env):
    sn, ex, tmp_path = env
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx/file").write_text("from context\n")
    mounts = (bind_mount(str(tmp_path / "ctx"), "/src", readonly=True), tmpfs_mount("/cache"))
    code, out = sh(sn, ex, "k", "cat /src/file; touch /src/x 2>/dev/null || echo ro; "
                                "touch /cache/y && echo tmpfs", mounts=mounts)
    assert out.text() == "from context\nro\ntmpfs\n"
    assert not (sn.upper_dir("k") / "src").exists() and not (sn.upper_dir("k") / "cache").exists()


def test_missing_executable_is_a_start_error(env):
    sn, ex, tmp_path = env
    with pytest.raises(ContainerStartError) as info:
        run(sn, ex, "k", "nonexistent", "--flag")
    assert str(info.value) == (
        'process "nonexistent --flag" did not complete successfully: unable to start container '
        'process: exec: "nonexistent": executable file not found in $PATH'
    )
    assert_clean(tmp_path)


def test_foreign_binary_is_exec_format_error_with_a_hint(env):
    sn, ex, _ = env
    sn.prepare("foreign-k", ["busybox"])
    # A 64-bit little-endian ELF header for IA-64 (e_machine 0x32): not for this CPU, and
    # qemu-user has no emulator for it, so none registered in binfmt_misc (pallet binfmt
    # --install registers aarch64 host-wide) turns it into something else.
    path = sn.upper_dir("foreign-k") / "foreign"
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x32\x00" + bytes(200))
    path.chmod(0o755)
    sn.commit("foreign", "foreign-k")
    out = Output()
    with pytest.raises(ContainerStartError) as info:
        ex.run(ProcessSpec(("/foreign",)), sn.prepare("k", ["foreign"]), on_output=out)
    assert str(info.value) == 'process "/foreign" did not complete successfully: exit code: 1'
    assert "exec format error" in info.value.hint
    assert out.lines == [("stderr", b"exec /foreign: exec format error\n")]


def test_missing_runc_is_a_clear_error(env):
    sn, _, tmp_path = env
    ex = RuncExecutor(runc="/nonexistent/runc", work_dir=str(tmp_path / "bundles"))
    with pytest.raises(RuncNotFoundError) as info:
        ex.run(ProcessSpec(("true",)), sn.prepare("k", ["busybox"]))
    assert info.value.render() == (
        'error: runc executable "/nonexistent/runc" not found in $PATH\n'
        "hint: RUN steps need runc: apt-get install runc"
    )


def test_keyboard_interrupt_still_cleans_up(env):
    sn, ex, tmp_path = env

    def interrupt(stream, line):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.run(ProcessSpec(("/bin/sh", "-c", "echo started; sleep 60")),
               sn.prepare("k", ["busybox"]), on_output=interrupt)
    assert_clean(tmp_path)  # runc list is empty: the container was killed and deleted


def test_workdir_that_cannot_be_created_is_a_build_error(env):
    sn, ex, tmp_path = env
    with pytest.raises(BuildError, match="^failed to create working directory /etc/passwd/x: not a directory$"):
        sh(sn, ex, "k", "true", cwd="/etc/passwd/x")
    assert_clean(tmp_path)

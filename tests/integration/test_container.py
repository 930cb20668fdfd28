"""pallet run/exec/stop/kill/ps/logs/rm end to end: the CLI as a subprocess, real runc."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from pallet.testing import busybox_tar, free_port, mounts_under, require_runtime, unmount_all_under
from pallet.testing.cli import PALLET, PATH_ENV

# sh as PID 1 ignores SIGTERM unless it traps it; with the trap, `stop` is quick.
LOOP = "trap 'exit 0' TERM; while true; do sleep 0.1; done"


@pytest.fixture
def env(tmp_path):
    require_runtime()
    root = tmp_path / "root"
    environ = {**os.environ, "PALLET_ROOT": str(root)}
    pallet = Pallet(environ, root)
    pallet.ok("import", "-c", PATH_ENV, "-c", 'CMD ["sh"]', str(busybox_tar()), "bb")
    yield pallet
    left = pallet.out("ps", "-aq").split()
    if left:
        pallet("rm", "-f", *left)
    stray = unmount_all_under(tmp_path)
    assert stray == [], f"the test left mounts behind: {stray}"
    assert not left, f"the test left containers behind: {left}"
    assert_clean(root)


class Pallet:
    def __init__(self, environ, root: Path) -> None:
        self.environ = environ
        self.root = root

    def __call__(self, *argv, timeout=60, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run([*PALLET, *argv], env=self.environ, capture_output=True, text=True,
                              timeout=timeout, **kw)

    def ok(self, *argv, **kw) -> subprocess.CompletedProcess:
        proc = self(*argv, **kw)
        assert proc.returncode == 0, proc.stderr
        return proc

    def out(self, *argv) -> str:
        return self.ok(*argv).stdout

    def script(self, command: str) -> subprocess.CompletedProcess:
        """Run a pallet command line under script(1), so its stdin/stdout are a terminal."""
        line = " ".join(shlex.quote(a) for a in PALLET) + " " + command
        return subprocess.run(["script", "-qec", line, "/dev/null"], env=self.environ, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)


def assert_clean(root: Path) -> None:
    """No mount, no runc state, no container directory or writable layer left."""
    assert mounts_under(root) == []
    runc_dir = root / "containers" / "runc"
    listed = subprocess.run(["runc", "--root", str(runc_dir), "list", "-q"], capture_output=True, text=True)
    assert listed.stdout.strip() == ""
    assert sorted(p.name for p in (root / "containers").iterdir()) == ["runc"]
    meta = root / "snapshots" / "metadata.json"
    assert not meta.exists() or "container-" not in meta.read_text()


# -- run in the foreground ---------------------------------------------------------------
@pytest.mark.parametrize("status", [0, 7, 255])
def test_exit_code_is_pallets_exit_code(env, status):
    proc = env("run", "--rm", "bb", "sh", "-c", f"echo out; echo err >&2; exit {status}")
    assert (proc.returncode, proc.stdout, proc.stderr) == (status, "out\n", "err\n")


def test_output_is_kept_for_logs(env):
    env.ok("run", "--name", "talk", "bb", "sh", "-c", "echo one; echo two >&2; echo three")
    assert env.out("logs", "talk") == "one\nthree\n"
    assert env("logs", "talk").stderr == "two\n"
    env.ok("run", "--name", "count", "bb", "sh", "-c", "echo 1; echo 2; echo 3")
    assert env.out("logs", "--tail", "2", "count") == "2\n3\n"
    env.ok("rm", "count")
    log = env.root / "containers" / env.out("ps", "-aq", "--no-trunc").strip()
    assert '"stream": "stderr"' in next(log.glob("*-json.log")).read_text()
    env.ok("rm", "talk")


def test_rm_flag_removes_the_container(env):
    env.ok("run", "--rm", "bb", "true")
    assert env.out("ps", "-aq") == ""
    assert_clean(env.root)


def test_command_not_found_is_127(env):
    proc = env("run", "--rm", "bb", "no-such-command")
    assert proc.returncode == 127
    assert proc.stderr.count("executable file not found") == 1, proc.stderr


def test_tty_gives_a_real_terminal(env):
    proc = env.script("run --rm -t bb tty")
    assert proc.returncode == 0, proc.stdout
    assert "/dev/pts/" in proc.stdout
    proc = env.script("run --rm -it bb sh -c 'tty; exit 3'")
    assert proc.returncode == 3 and "/dev/pts/" in proc.stdout
    assert "not a tty" in env.out("run", "--rm", "bb", "sh", "-c", "tty || true")


def test_env_workdir_user_entrypoint(env, tmp_path):
    envfile = tmp_path / "envfile"
    envfile.write_text("FROM_FILE=1\nA=file\n")
    out = env.out("run", "--rm", "-e", "A=flag", "--env-file", str(envfile), "-w", "/made/here",
                  "-u", "nobody", "bb", "sh", "-c", 'echo "$A $FROM_FILE $(pwd) $(id -u):$(id -g)"')
    assert out == "flag 1 /made/here 65534:65534\n"
    assert env.out("run", "--rm", "--entrypoint", "echo", "bb", "from", "entrypoint") == "from entrypoint\n"


def test_volumes(env, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in").write_text("host\n")
    env.ok("run", "--rm", "-v", f"{shared}:/data", "bb", "sh", "-c", "cat /data/in > /data/out")
    assert (shared / "out").read_text() == "host\n"
    proc = env("run", "--rm", "-v", f"{shared}:/data:ro", "bb", "sh", "-c", "touch /data/x")
    assert proc.returncode == 1 and "Read-only file system" in proc.stderr


def test_image_config_is_honoured(env):
    env.ok("import", "-c", PATH_ENV, "-c", "ENV GREETING=hello", "-c", "WORKDIR /srv", "-c", "USER nobody",
           "-c", 'ENTRYPOINT ["sh", "-c", "echo $GREETING $(pwd) $(id -u) $0"]', "-c", 'CMD ["from-cmd"]',
           str(busybox_tar()), "configured")
    assert env.out("run", "--rm", "configured") == "hello /srv 65534 from-cmd\n"
    assert env.out("run", "--rm", "configured", "other") == "hello /srv 65534 other\n"


# -- detached: the Docker build guide's flow -----------------------------------------------
def test_build_guide_flow(env):
    port = free_port()
    server = f"trap 'exit 0' TERM; httpd -f -p 127.0.0.1:{port} -h /etc & wait"
    env.ok("import", "-c", PATH_ENV, "-c", f'ENTRYPOINT ["sh", "-c", "{server}"]', str(busybox_tar()), "server")
    cid = env.out("run", "--name=buildme", "--rm", "--detach", "server").strip()
    assert len(cid) == 64 and int(cid, 16) >= 0
    assert "buildme" in env.out("ps")
    page = wait_for(lambda: env("exec", "buildme", "wget", "-qO-", f"http://127.0.0.1:{port}/passwd"))
    assert page.stdout.startswith("root:x:0:0:")
    tty = env.script(f"exec -it buildme /bin/sh -c 'tty; wget -qO- http://127.0.0.1:{port}/group'")
    assert tty.returncode == 0 and "/dev/pts/" in tty.stdout and "nogroup" in tty.stdout
    assert env("exec", "buildme", "sh", "-c", "exit 4").returncode == 4
    started = time.monotonic()
    assert env.out("stop", "buildme") == "buildme\n"
    assert time.monotonic() - started < 5
    assert env.out("ps", "-aq") == ""
    assert_clean(env.root)


def wait_for(attempt, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        proc = attempt()
        if proc.returncode == 0 or time.monotonic() > deadline:
            return proc
        time.sleep(0.1)


def test_stop_kills_what_ignores_sigterm_after_the_timeout(env):
    env.ok("run", "-d", "--name", "stubborn", "bb", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done")
    started = time.monotonic()
    env.ok("stop", "-t", "1", "stubborn")
    took = time.monotonic() - started
    assert 0.9 <= took < 4, took
    assert "Exited (137)" in env.out("ps", "-a")
    env.ok("rm", "stubborn")
    assert_clean(env.root)


def test_kill_with_a_signal(env):
    env.ok("run", "-d", "--name", "k1", "bb", "sh", "-c", "trap 'exit 3' USR1; while true; do sleep 0.1; done")
    assert env.out("kill", "-s", "USR1", "k1") == "k1\n"
    deadline = time.monotonic() + 5
    while "Exited (3)" not in env.out("ps", "-a") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Exited (3)" in env.out("ps", "-a")
    env.ok("rm", "k1")
    assert env("kill", "-s", "NOPE", "k1").stderr.startswith("error: Invalid signal: NOPE")


def test_detached_rm_cleans_up_when_the_container_exits(env):
    env.ok("run", "-d", "--rm", "bb", "sh", "-c", "echo bye")
    deadline = time.monotonic() + 5
    while env.out("ps", "-aq") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert env.out("ps", "-aq") == ""
    assert_clean(env.root)


def test_containers_have_their_own_writable_layer(env):
    a = env.out("run", "-d", "bb", "sh", "-c", LOOP).strip()
    b = env.out("run", "-d", "bb", "sh", "-c", LOOP).strip()
    env.ok("exec", a, "sh", "-c", "echo mine > /etc/only-a; rm /etc/group")
    assert env("exec", b, "test", "-e", "/etc/only-a").returncode == 1
    assert env("exec", b, "test", "-e", "/etc/group").returncode == 0
    assert env.out("run", "--rm", "bb", "ls", "/etc").split() == ["group", "hosts", "passwd", "resolv.conf"]
    ps = env.out("ps").splitlines()
    assert ps[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert len(ps) == 3 and all("Up " in line for line in ps[1:])
    env.ok("rm", "-f", a[:12], b[:12])
    assert_clean(env.root)


def test_logs_follow_until_exit(env):
    env.ok("run", "-d", "--name", "follow", "bb", "sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done")
    assert env.out("logs", "-f", "follow") == "1\n2\n3\n"
    env.ok("rm", "follow")


# -- bad input -----------------------------------------------------------------------------
def test_unknown_image(env):
    proc = env("run", "nope")
    assert proc.returncode == 125
    assert proc.stderr.startswith("error: Unable to find image 'nope:latest' locally\nhint: ")


def test_name_in_use(env):
    cid = env.out("run", "-d", "--name", "xx", "bb", "sh", "-c", LOOP).strip()
    proc = env("run", "--name", "xx", "bb", "true")
    assert proc.returncode == 125
    assert proc.stderr.splitlines()[0] == (
        f'error: Conflict. The container name "/xx" is already in use by container "{cid}". '
        "You have to remove (or rename) that container to be able to reuse that name.")
    rm = env("rm", "xx")
    assert rm.returncode == 125 and "container is running: stop the container before removing" in rm.stderr
    env.ok("rm", "-f", "xx")


def test_exec_into_a_stopped_container(env):
    env.ok("run", "--name", "done", "bb", "true")
    cid = env.out("ps", "-aq", "--no-trunc").strip()
    proc = env("exec", "done", "true")
    assert proc.returncode == 125
    assert proc.stderr.splitlines()[0] == f"error: container {cid} is not running"
    env.ok("rm", "done")


@pytest.mark.parametrize("verb", [["stop"], ["kill"], ["rm"], ["logs"], ["exec", "-i"]])
def test_unknown_container(env, verb):
    argv = [*verb, "ghost"] + (["true"] if verb[0] == "exec" else [])
    proc = env(*argv)
    assert proc.returncode == 125
    assert "error: No such container: ghost" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_user(env):
    proc = env("run", "--rm", "-u", "ghost", "bb", "true")
    assert proc.returncode == 125
    assert "unable to find user ghost: no matching entries in passwd file" in proc.stderr

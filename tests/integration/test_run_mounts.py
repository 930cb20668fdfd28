"""RUN --mount end to end: cache, bind, tmpfs, secret, ssh; --network, --security."""

from __future__ import annotations

import os
import socket
import tarfile

import pytest

from pallet.cli.main import main
from pallet.testing.cli import busybox_root, make_context

SECRET = b"hunter2-6f1c0e9a-secret-bytes"


@pytest.fixture
def root(tmp_path, monkeypatch):
    return busybox_root(tmp_path, monkeypatch)


@pytest.fixture
def build(tmp_path, capfd):
    def run(dockerfile, *flags, ok=True, files=None, ctx="ctx"):
        context = make_context(tmp_path / ctx, {"Dockerfile": dockerfile, **(files or {})})
        code = main(["build", "--progress=plain", *flags, str(context)])
        out, err = capfd.readouterr()
        assert (code == 0) == ok, out + err
        return out + err

    return run


def step_output(log: str, marker: str) -> list[str]:
    """The output lines of the plain-progress step whose title contains `marker`."""
    num = next(line.split()[0] for line in log.splitlines() if marker in line and "RUN" in line)
    return [line.split(" ", 2)[2] for line in log.splitlines()
            if line.startswith(num + " ") and line.split(" ")[1][:1].isdigit() and "." in line.split(" ")[1]]


# -- cache -----------------------------------------------------------------------------
COUNTER = "FROM busybox:local\nRUN --mount=type=cache,target=/cache echo x >> /cache/n; wc -l < /cache/n\n"


def test_cache_mount_counter_persists_and_is_not_in_the_layer(root, build, tmp_path):
    counts = [step_output(build(COUNTER, "--no-cache", "-t", "c:1"), "wc -l")[-1].strip()
              for _ in range(3)]
    assert counts == ["1", "2", "3"]
    assert main(["save", "-o", str(tmp_path / "c.tar"), "c:1"]) == 0
    assert not any("cache/n" in name for name in _layer_names(tmp_path / "c.tar"))


def test_same_id_is_shared_across_stages_and_ids_are_namespaced(root, build):
    dockerfile = """FROM busybox:local AS a
RUN --mount=type=cache,id=shared,target=/one echo a > /one/f
FROM a AS b
RUN --mount=type=cache,id=shared,target=/two cat /two/f
RUN --mount=type=cache,id=other,target=/two ls /two | wc -l
"""
    log = build(dockerfile)
    assert step_output(log, "cat /two/f") == ["a"]
    assert step_output(log, "ls /two") == ["0"]


def test_locked_sharing_serialises_parallel_stages(root, build):
    step = ("RUN --mount=type=cache,id=lk,target=/c,sharing=locked "
            "echo start-{0} $(cut -d' ' -f1 /proc/uptime) >> /c/log; sleep 0.5; "
            "echo end-{0} $(cut -d' ' -f1 /proc/uptime) >> /c/log")
    dockerfile = f"""FROM busybox:local AS a
{step.format("a")}
FROM busybox:local AS b
{step.format("b")}
FROM busybox:local
COPY --from=a /etc/passwd /a
COPY --from=b /etc/passwd /b
RUN --mount=type=cache,id=lk,target=/c cat /c/log
"""
    log = build(dockerfile)
    lines = [line.split() for line in step_output(log, "cat /c/log")]
    events = sorted((float(t), name) for name, t in lines)
    order = [name.split("-")[0] for _, name in events]
    assert order == ["start", "end", "start", "end"], events  # never two starts in a row
    assert {name for _, name in events} == {"start-a", "end-a", "start-b", "end-b"}


def test_private_sharing_gives_concurrent_users_their_own_copy(tmp_path):
    from pallet.engine.cachemounts import CacheMounts, CacheSpec

    mounts = CacheMounts(tmp_path / "cm")
    spec = CacheSpec("p", "private")
    with mounts.use(spec) as first, mounts.use(spec) as second:
        assert first != second
    with mounts.use(spec) as again:
        assert again == first  # a free copy is handed out again
    with mounts.use(CacheSpec("p", "shared")) as a, mounts.use(CacheSpec("p", "shared")) as b:
        assert a == b


def test_cache_mount_from_stage_seeds_it_once(root, build):
    dockerfile = """FROM busybox:local AS seed
RUN mkdir /s && echo seeded > /s/file
FROM busybox:local
RUN --mount=type=cache,id=sd,target=/c,from=seed,source=/s,uid=65534,mode=0700 cat /c/file; stat -c '%u %a' /c
"""
    log = build(dockerfile)
    assert step_output(log, "cat /c/file") == ["seeded", "65534 700"]


# -- bind ------------------------------------------------------------------------------
def test_bind_context_file_reruns_only_when_it_changes(root, build):
    dockerfile = "FROM busybox:local\nRUN --mount=type=bind,source=a.txt,target=/a.txt cat /a.txt\n"
    first = build(dockerfile, files={"a.txt": "one\n", "b.txt": "x\n"})
    assert step_output(first, "cat /a.txt") == ["one"]
    unrelated = build(dockerfile, files={"b.txt": "changed\n"})
    assert "CACHED" in unrelated.split("cat /a.txt", 1)[1].splitlines()[1]
    changed = build(dockerfile, files={"a.txt": "two\n"})
    assert step_output(changed, "cat /a.txt") == ["two"]


def test_bind_rw_from_stage_discards_writes(root, build, tmp_path):
    dockerfile = """FROM busybox:local AS src
RUN mkdir /data && echo hi > /data/f
FROM busybox:local
RUN --mount=type=bind,from=src,source=/data,target=/d,rw echo more >> /d/f && cat /d/f
RUN --mount=type=bind,from=src,source=/data,target=/d cat /d/f
"""
    log = build(dockerfile, "-t", "b:1")
    assert step_output(log, "rw echo more") == ["hi", "more"]
    assert step_output(log, "target=/d cat /d/f") == ["hi"]


def test_tmpfs_with_size(root, build):
    log = build("FROM busybox:local\nRUN --mount=type=tmpfs,target=/t,size=1m df -k /t | tail -1; "
                "dd if=/dev/zero of=/t/big bs=1k count=2048 2>&1 | tail -1 || true\n")
    out = step_output(log, "df -k")
    assert out[0].split()[1] == "1024"
    assert out[1] == "1024+0 records out"  # the 2 MiB write stopped at the 1 MiB limit


# -- secrets ---------------------------------------------------------------------------
def test_secret_is_readable_and_absent_everywhere_afterwards(root, build, tmp_path, monkeypatch):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_bytes(SECRET)
    monkeypatch.setenv("MY_TOKEN", SECRET.decode())
    dockerfile = f"""FROM busybox:local
RUN --mount=type=secret,id=file --mount=type=secret,id=tok,env=TOKEN,required \\
    test "$(cat /run/secrets/file)" = "{SECRET.decode()}" && test "$TOKEN" = "$(cat /run/secrets/file)" && echo readable
RUN --mount=type=secret,id=file,target=/etc/s,mode=0440,uid=65534 stat -c '%a %u' /etc/s
"""
    log = build(dockerfile, "--secret", f"id=file,src={secret_file}", "--secret", "id=tok,env=MY_TOKEN",
                "-t", "s:1")
    assert "readable" in log
    assert step_output(log, "stat -c") == ["440 65534"]


def test_secret_bytes_never_reach_root_image_or_log(root, build, tmp_path, monkeypatch, capfd):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_bytes(SECRET)
    monkeypatch.setenv("MY_TOKEN", SECRET.decode())
    dockerfile = """FROM busybox:local
RUN --mount=type=secret,id=file --mount=type=secret,id=tok,env=TOKEN \\
    cp /run/secrets/file /dev/null && test -n "$TOKEN" && test "$TOKEN" = "$(cat /run/secrets/file)" && echo ok
"""
    log = build(dockerfile, "--secret", f"id=file,src={secret_file}",
                "--secret", "id=tok,env=MY_TOKEN", "-t", "s:2")
    assert step_output(log, "cp /run/secrets/file") == ["ok"]
    assert SECRET not in log.encode()
    assert main(["save", "-o", str(tmp_path / "s.tar"), "s:2"]) == 0
    assert main(["inspect", "s:2"]) == 0
    assert main(["history", "--no-trunc", "s:2"]) == 0
    shown = capfd.readouterr()
    assert SECRET not in (shown.out + shown.err).encode()
    assert SECRET[:12] not in _all_bytes(tmp_path / "s.tar")
    for path in _files(root):
        assert SECRET[:12] not in path.read_bytes(), path


def test_missing_required_secret_is_a_clear_error(root, build):
    log = build("FROM busybox:local\nRUN --mount=type=secret,id=nope,required true\n", ok=False)
    assert "secret nope not found" in log and "--secret id=nope" in log
    assert "Traceback" not in log


# -- ssh, network, security ------------------------------------------------------------
def test_ssh_forwards_the_agent_socket(root, build, tmp_path, monkeypatch):
    sock_path = str(tmp_path / "agent.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(sock_path)
    server.listen(1)
    monkeypatch.setenv("SSH_AUTH_SOCK", sock_path)
    dockerfile = ('FROM busybox:local\nRUN --mount=type=ssh echo "$SSH_AUTH_SOCK" && test -S "$SSH_AUTH_SOCK"\n'
                  'RUN --mount=type=ssh,id=other,target=/s.sock test -S /s.sock && echo other\n')
    log = build(dockerfile, "--ssh", "default", "--ssh", f"other={sock_path}")
    assert step_output(log, "SSH_AUTH_SOCK") == ["/run/buildkit/ssh_agent.0"]
    assert step_output(log, "/s.sock") == ["other"]
    server.close()
    missing = build("FROM busybox:local\nRUN --mount=type=ssh,required true\n", ok=False)
    assert 'no SSH key "default" forwarded' in missing


def test_network_none_has_only_loopback(root, build):
    log = build("FROM busybox:local\nRUN --network=none ls /sys/class/net | sort\n")
    assert step_output(log, "ls /sys/class/net") == ["lo"]


def test_security_insecure_needs_allow(root, build):
    dockerfile = "FROM busybox:local\nRUN --security=insecure mkdir /m && mount -t tmpfs none /m && echo mounted\n"
    denied = build(dockerfile, ok=False)
    assert "security.insecure is not allowed" in denied and "--allow security.insecure" in denied
    log = build(dockerfile, "--allow", "security.insecure")
    assert step_output(log, "mount -t tmpfs") == ["mounted"]
    sandboxed = build("FROM busybox:local\nRUN mkdir /m && mount -t tmpfs none /m\n", ok=False)
    assert "did not complete successfully" in sandboxed


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize("mount, message", [
    ("type=cahce,target=/c", 'unsupported mount type "cahce" (did you mean "cache"?)'),
    ("type=cache,taget=/c", "unexpected key 'taget'"),
    ("type=cache,target=/c,sharing=lockd", 'unsupported sharing value "lockd" (did you mean "locked"?)'),
    ("type=bind,from=nosuchstage,target=/x", "nosuchstage"),
    ("type=cache", "mount target is required"),
])
def test_bad_mounts_are_clear_errors(root, build, mount, message):
    log = build(f"FROM busybox:local\nRUN --mount={mount} true\n", ok=False)
    assert message in log, log
    assert "Traceback" not in log


def _files(root):
    from pathlib import Path

    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _all_bytes(archive) -> bytes:
    """Every byte of a docker archive, its gzip'd layers decompressed."""
    import gzip

    out = [open(archive, "rb").read()]
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile():
                data = tar.extractfile(member).read()
                if data[:2] == b"\x1f\x8b":
                    out.append(gzip.decompress(data))
    return b"".join(out)


def _layer_names(archive) -> list[str]:
    import gzip
    import io

    names = []
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isfile() else b""
            if data[:2] == b"\x1f\x8b":
                with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as layer:
                    names += layer.getnames()
    return names

"""The image config + `pallet run` flags -> the container's process (docker's rules)."""

import pytest

from pallet.container.errors import ContainerError
from pallet.container.options import RunOptions, make_spec, parse_env_file, parse_volume, resolve_args

CONFIG = {"Entrypoint": ["httpd", "-f"], "Cmd": ["-p", "80"], "Env": ["PATH=/bin", "A=image"],
          "WorkingDir": "/srv", "User": "www", "StopSignal": "SIGQUIT"}

ARGS_CASES = [
    ({}, ["httpd", "-f", "-p", "80"]),
    ({"command": ("-p", "3000")}, ["httpd", "-f", "-p", "3000"]),
    ({"entrypoint": "sh"}, ["sh"]),  # --entrypoint drops the image's Cmd
    ({"entrypoint": "sh", "command": ("-c", "true")}, ["sh", "-c", "true"]),
    ({"entrypoint": "", "command": ("echo",)}, ["echo"]),
]


@pytest.mark.parametrize("flags,expected", ARGS_CASES, ids=["image", "cmd", "entrypoint", "entrypoint+cmd", "cleared"])
def test_args(flags, expected):
    assert resolve_args(CONFIG, RunOptions("img", **flags)) == expected


def test_no_command_is_an_error():
    with pytest.raises(ContainerError, match="No command specified") as e:
        resolve_args({}, RunOptions("img"))
    assert e.value.exit_code == 125


def test_spec_takes_image_config_and_flag_overrides():
    opts = RunOptions("img", env=("A=flag", "B", "C"), workdir="/tmp", user="nobody",
                      host_env={"B": "from-host"})
    spec = make_spec(CONFIG, opts, "abc123", "chain-x")
    assert spec.env == ("HOSTNAME=abc123", "PATH=/bin", "A=flag", "B=from-host")
    assert (spec.cwd, spec.user, spec.stop_signal, spec.top_snapshot) == ("/tmp", "nobody", "SIGQUIT", "chain-x")


def test_spec_defaults():
    spec = make_spec({"Cmd": ["sh"]}, RunOptions("img", tty=True), "h", "")
    assert (spec.cwd, spec.user, spec.stop_signal, spec.tty) == ("/", "", "SIGTERM", True)
    assert "TERM=xterm" in spec.env


def test_env_file_then_flags(tmp_path):
    f = tmp_path / "env"
    f.write_text("# comment\n\nA=file\nB=file\n")
    spec = make_spec({"Cmd": ["sh"]}, RunOptions("img", env=("B=flag",), env_files=(str(f),)), "h", "")
    assert spec.env[1:] == ("A=file", "B=flag")


def test_env_file_missing_is_a_user_error():
    with pytest.raises(ContainerError, match="open /nope/env: no such file or directory"):
        make_spec({"Cmd": ["sh"]}, RunOptions("img", env_files=("/nope/env",)), "h", "")


def test_env_file_key_with_space():
    with pytest.raises(ContainerError, match="variable 'A B' contains whitespaces"):
        parse_env_file("A B=1\n")


VOLUME_CASES = [
    ("/h:/c", ("/h", "/c", False)),
    ("/h:/c:ro", ("/h", "/c", True)),
    ("/h:/c:rw", ("/h", "/c", False)),
]


@pytest.mark.parametrize("spec,expected", VOLUME_CASES, ids=["rw-default", "ro", "rw"])
def test_volumes(spec, expected):
    assert parse_volume(spec) == expected


@pytest.mark.parametrize("spec", ["data:/c", "/h:c", "/h", "/h:/c:xx", ":/c"])
def test_bad_volumes(spec):
    with pytest.raises(ContainerError):
        parse_volume(spec)


def test_relative_workdir_is_rejected():
    with pytest.raises(ContainerError, match='the working directory "srv" is invalid'):
        make_spec({"Cmd": ["sh"]}, RunOptions("img", workdir="srv"), "h", "")


def test_unknown_network():
    with pytest.raises(ContainerError, match='network "bridge" not found'):
        make_spec({"Cmd": ["sh"]}, RunOptions("img", network="bridge"), "h", "")

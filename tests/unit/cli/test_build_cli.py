"""`pallet build` flags and its --call / --check front."""

from __future__ import annotations

import io

import pytest

import pallet
from pallet.cli import build as build_cli
from pallet.cli.main import main, make_parser

SIMPLE = "FROM alpine AS app\nCMD [\"app\"]\n"


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "Dockerfile").write_text(SIMPLE)
    return tmp_path


def options(argv, **kw):
    args = make_parser().parse_args(["build", *argv])
    return build_cli.options_from_args(args, **kw)


FLAG_CASES = [
    ("short-tag", ["-t", "a:1"], "tags", ["a:1"]),
    ("long-tag-equals", ["--tag=a:1", "--tag", "b"], "tags", ["a:1", "b"]),
    ("glued-short", ["-ta:1"], "tags", ["a:1"]),
    ("build-arg", ["--build-arg", "A=1", "--build-arg=B=2"], "build_args", {"A": "1", "B": "2"}),
    ("label", ["--label", "k=v"], "labels", {"k": "v"}),
    ("platforms-comma", ["--platform", "linux/amd64,linux/arm64"], "platforms",
     ["linux/amd64", "linux/arm64"]),
    ("call-json", ["--call=outline,format=json"], "call_format", "json"),
    ("check", ["--check"], "call", "check"),
    ("progress", ["--progress=plain"], "progress", "plain"),
    ("outputs", ["-o", "type=local,dest=out", "--output=type=tar"], "outputs",
     ["type=local,dest=out", "type=tar"]),
    ("bools", ["--no-cache", "--pull", "--load", "-q"], "quiet", True),
    ("secrets", ["--secret", "id=a,src=f", "--ssh", "default"], "secrets", ["id=a,src=f"]),
    ("allow", ["--allow", "network.host,security.insecure"], "allow",
     ["network.host", "security.insecure"]),
]


@pytest.mark.parametrize("argv,field,expected", [c[1:] for c in FLAG_CASES],
                         ids=[c[0] for c in FLAG_CASES])
def test_flags(ctx, argv, field, expected):
    assert getattr(options([str(ctx), *argv]), field) == expected


def test_flags_after_the_context(ctx):
    opts = options([str(ctx), "--target", "app", "-f", str(ctx / "Dockerfile")])
    assert opts.target == "app" and opts.dockerfile_path == str(ctx / "Dockerfile")


def test_build_arg_from_environment(ctx):
    assert options([str(ctx), "--build-arg", "HOME_X"], environ={"HOME_X": "h"}).build_args \
        == {"HOME_X": "h"}


def test_dockerfile_from_stdin(ctx):
    opts = options([str(ctx), "-f", "-"], stdin=io.BytesIO(b"FROM scratch\n"))
    assert opts.dockerfile_data == b"FROM scratch\n"


ERROR_CASES = [
    ("missing-context", ["/nonexistent/ctx"], 'unable to prepare context: path "/nonexistent/ctx"'),
    ("bad-build-arg", ["{ctx}", "--build-arg", "=v"], "invalid build arg"),
    ("bad-platform", ["{ctx}", "--platform", "linux/x/y/z"], "invalid platform"),
    ("bad-call", ["{ctx}", "--call=frobnicate"], 'invalid --call value "frobnicate"'),
    ("bad-progress", ["{ctx}", "--progress=loud"], 'invalid progress mode "loud"'),
    ("missing-dockerfile", ["{ctx}", "-f", "{ctx}/Nope", "--check"],
     "failed to read dockerfile: open Nope: no such file or directory"),
    ("unknown-target", ["{ctx}", "--call=outline", "--target", "ap"],
     'target stage "ap" could not be found (did you mean "app"?)'),
]


@pytest.mark.parametrize("argv,message", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_errors_are_rendered_not_raised(ctx, capsys, argv, message):
    code = main(["build", *[a.format(ctx=ctx) for a in argv]])
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err


def test_plain_build_calls_pallet_build(ctx, monkeypatch):
    seen = []
    monkeypatch.setattr(pallet, "build", lambda o: seen.append(o) or 0, raising=False)
    assert main(["buildx", "build", "-t", "x", str(ctx)]) == 0
    assert seen[0].tags == ["x"]


def test_call_targets_prints_table(ctx, capsys):
    assert main(["build", "--call=targets", str(ctx)]) == 0
    assert capsys.readouterr().out == "TARGET        DESCRIPTION\napp (default) \n"


def test_check_exit_codes(ctx, capsys):
    (ctx / "Dockerfile").write_text("FROM alpine\nMAINTAINER me\n")
    assert main(["build", "--check", str(ctx)]) == 0
    assert "WARNING: MaintainerDeprecated" in capsys.readouterr().out
    (ctx / "Dockerfile").write_text("# check=error=true\nFROM alpine\nMAINTAINER me\n")
    assert main(["build", "--check", str(ctx)]) == 1
    captured = capsys.readouterr()
    assert "lint violation found for rules: MaintainerDeprecated" in captured.err


def test_check_without_warnings(ctx, capsys):
    assert main(["build", "--call=check", str(ctx)]) == 0
    assert capsys.readouterr().out == "Check complete, no warnings found.\n"


def test_an_unreadable_path_is_an_error_not_a_traceback(tmp_path, capsys):
    from pallet.cli.main import main as cli

    assert cli(["load", "-i", str(tmp_path / "missing.tar")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "missing.tar" in err

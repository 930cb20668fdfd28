"""`pallet builder create/ls/use/inspect/rm/stop` through the CLI entry point: output and
errors (buildx's words, a hint, exit code 1, never a traceback)."""

from __future__ import annotations

import pytest

from pallet.cli.main import main


@pytest.fixture
def pallet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "root"))
    monkeypatch.delenv("BUILDX_BUILDER", raising=False)

    def run(*argv, code=0):
        got = main(list(argv))
        out, err = capsys.readouterr()
        assert got == code, out + err
        assert "Traceback" not in err
        return out, err

    return run


def test_create_prints_the_name_and_use_marks_it_current(pallet):
    assert pallet("builder", "create", "--name", "a")[0] == "a\n"
    generated = pallet("buildx", "create", "--driver=docker-container", "--use")[0].strip()
    lines = pallet("builder", "ls")[0].splitlines()
    assert lines[0].split() == ["NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS"]
    names = [line.split()[0] for line in lines[1:] if not line.startswith(" ")]
    assert names == sorted(["a", generated + "*"]) + ["default"]
    pallet("builder", "use", "a")
    assert "a*" in pallet("builder", "ls")[0].split()


def test_inspect_defaults_to_the_current_builder(pallet):
    pallet("builder", "create", "--name", "a", "--platform", "linux/arm64,linux/amd64", "--use")
    out, _ = pallet("builder", "inspect")
    assert out.splitlines()[:2] == ["Name:   a", "Driver: local"]
    assert "Platforms: linux/arm64*, linux/amd64*" in out.splitlines()[-1]
    assert pallet("builder", "inspect", "default")[0].startswith("Name:   default\n")


def test_stop_and_rm_all_inactive(pallet):
    for name in ("a", "b", "c"):
        pallet("builder", "create", "--name", name)
    pallet("builder", "create", "--name", "d", "--bootstrap")
    pallet("builder", "stop", "b")
    assert " stopped" in pallet("builder", "inspect", "b")[0]
    _, err = pallet("builder", "rm", "--all-inactive", "--force")
    assert sorted(err.split("\n")[:-1]) == ["a removed", "b removed", "c removed"]
    names = [line.split()[0] for line in pallet("builder", "ls")[0].splitlines()[1:]
             if not line.startswith(" ")]
    assert names == ["d", "default*"]


@pytest.mark.parametrize("argv, words", [
    (("builder", "use", "x"), 'error: no builder "x" found'),
    (("builder", "inspect", "x"), 'error: no builder "x" found'),
    (("builder", "stop", "x"), 'error: no builder "x" found'),
    (("builder", "rm", "x"), 'error: no builder "x" found'),
    (("builder", "du", "--builder", "x"), 'error: no builder "x" found'),
    (("builder", "rm", "default"), "error: default builder cannot be removed"),
    (("builder", "create", "--name", "default"), "default is a reserved name"),
    (("builder", "create", "--name", "a"), 'existing instance for "a"'),
    (("builder", "create", "--driver", "kubernetes"), 'failed to find driver "kubernetes"'),
    (("builder", "create", "--name", "_x"), "name needs to start with a letter"),
    (("builder", "create", "--platform", "linux//x"), 'invalid platform "linux//x"'),
])
def test_bad_input_is_a_clear_error(pallet, argv, words):
    pallet("builder", "create", "--name", "a")
    _, err = pallet(*argv, code=2 if "platform" in words else 1)
    assert words in err and "\nhint: " in err


def test_rm_many_reports_each_and_fails_once(pallet):
    pallet("builder", "create", "--name", "a")
    _, err = pallet("builder", "rm", "a", "ghost", code=1)
    assert err.splitlines()[:3] == ["a removed", 'failed to remove ghost: no builder "ghost" found',
                                    "error: failed to remove one or more builders"]

"""`pallet.cli.main`: a run registers only its command's module, help lists every command."""

from __future__ import annotations

import argparse
from importlib import import_module

import pytest

from pallet.cli.main import COMMAND_MODULES, make_parser


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_modules_lists_what_each_module_registers(module):
    parser = argparse.ArgumentParser(prog="pallet")
    import_module(module).register(parser.add_subparsers())
    assert tuple(_commands(parser)) == COMMAND_MODULES[module]


@pytest.mark.parametrize("argv, commands", [
    (["build", "."], ["build"]),
    (["--debug", "pull", "alpine"], ["pull", "push", "login", "logout"]),
    (["system", "df"], ["system"]),
])
def test_a_command_gets_only_its_module(argv, commands):
    assert _commands(make_parser(argv)) == commands


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h", "build"], ["--deb", "build"], ["biuld"]])
def test_help_and_typos_get_every_command(argv):
    every = [c for commands in COMMAND_MODULES.values() for c in commands]
    assert _commands(make_parser(argv)) == every

"""Test tiers come from the folder a test lives in (tests/unit, tests/conformance, ...)."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SHARED = TESTS.parent.parent / "shared"
TIERS = ("unit", "conformance", "fuzz", "integration", "e2e")


def pytest_collection_modifyitems(config, items):
    for item in items:
        rel = Path(item.fspath).relative_to(TESTS)
        tier = rel.parts[0] if len(rel.parts) > 1 else "unit"
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout: conformance data, corpus, goldens."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests need ../shared beside the checkout")
    return SHARED


@pytest.fixture
def pallet(capsys):
    """Run the CLI in-process: `pallet(*argv, ok=True) -> (exit code, stdout, stderr)`;
    asserts success unless ok=False."""
    from pallet.cli.main import main

    def run(*argv, ok=True):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        if ok:
            assert code == 0, err
        return code, out, err

    return run

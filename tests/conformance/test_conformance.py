"""Runs `python -m pallet.dockerfile.conformance` on ../shared/conformance: 0 failed."""

import subprocess
import sys


def test_conformance_suite_passes(shared_dir):
    proc = subprocess.run(
        [sys.executable, "-m", "pallet.dockerfile.conformance", str(shared_dir / "conformance")],
        capture_output=True, text=True, timeout=120,
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    summary = lines[-1]
    passed, failed = (int(part.split()[0]) for part in summary.split(", "))
    assert failed == 0, proc.stdout[-4000:]
    assert passed > 400, summary  # every family ran
    assert proc.returncode == 0

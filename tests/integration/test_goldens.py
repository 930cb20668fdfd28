"""BuildKit's own results for 16 builds (../shared/buildkit-goldens): pallet must match all."""

import os
import subprocess
import sys
from pathlib import Path

from pallet.testing import require_runtime


def test_difftest_matches_every_buildkit_golden(shared_dir, tmp_path):
    require_runtime()
    pallet = Path(sys.executable).with_name("pallet")
    env = dict(os.environ, PALLET_ROOT=str(tmp_path / "root"), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(shared_dir / "buildkit-goldens/tools/difftest.py"),
         "--builder", str(pallet)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert proc.stdout.strip().splitlines()[-1] == "16 passed, 0 failed", proc.stdout + proc.stderr
    assert proc.returncode == 0

import os
import stat

import pytest


@pytest.fixture
def as_root():
    """mknod and trusted.* xattrs need root: fail under PALLET_REQUIRE_ALL=1, else skip."""
    if os.geteuid() != 0:
        if os.environ.get("PALLET_REQUIRE_ALL") == "1":
            pytest.fail("this test needs root (PALLET_REQUIRE_ALL=1)")
        pytest.skip("needs root")


@pytest.fixture
def overlay_upper(tmp_path, as_root):
    """An overlayfs upper dir: an opaque directory, a whiteout, a real device node."""
    upper = tmp_path / "upper"
    (upper / "opaque").mkdir(parents=True)
    (upper / "opaque" / "fresh").write_bytes(b"f")
    os.setxattr(upper / "opaque", "trusted.overlay.opaque", b"y")
    os.mknod(upper / "deleted", stat.S_IFCHR, os.makedev(0, 0))
    os.mknod(upper / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return upper

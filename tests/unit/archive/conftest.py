import os

import pytest


@pytest.fixture
def as_root():
    """mknod and trusted.* xattrs need root: fail under PALLET_REQUIRE_ALL=1, else skip."""
    if os.geteuid() != 0:
        if os.environ.get("PALLET_REQUIRE_ALL") == "1":
            pytest.fail("this test needs root (PALLET_REQUIRE_ALL=1)")
        pytest.skip("needs root")

"""pallet: build OCI images from Dockerfiles as BuildKit does, without a daemon.

The public API is re-exported here; submodules are imported lazily so that
`pallet --help` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

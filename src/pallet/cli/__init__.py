"""The `pallet` command line: flags -> options -> the pallet API. The only exception boundary."""

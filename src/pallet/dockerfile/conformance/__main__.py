import sys

from pallet.dockerfile.conformance import main

sys.exit(main())

"""`python -m kiosk`: the installed image runs the runtime from its source tree this way."""
import sys

from kiosk.cli import main

sys.exit(main())

"""`python -m bot` is `compliance-bot`."""

import sys

from bot.cli import main

sys.exit(main())

"""``python -m reelbridge``."""

from reelbridge.cli import main

main()

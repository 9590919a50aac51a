"""linkcheck: find the cited URLs that broke or moved, with their archived copies."""

__version__ = "0.1.0"

"""Performance benchmark for linkcheck, with lychee as the reference.

- `bench.farm`: a local HTTP farm of many virtual hosts on loopback addresses.
- `bench.corpus`: generates documents that cite farm URLs, and their truth.
- `bench.run`: runs the scenarios against linkcheck and lychee and prints a table.

Speed is measured here, never asserted in tests. See docs/performance.md.
"""

"""Installs the loopback-only network guard in every Python started by the tests."""

import netguard

netguard.install()

"""The PostgreSQL server the payment tests run against comes from the Python dependencies."""

from __future__ import annotations

import os
from pathlib import Path

from postgres_server import BIN_OVERRIDE, WHEEL_PACKAGE, bin_dir, wheel_bin_dir


def test_server_binaries_come_from_the_wheel_unless_overridden():
    if os.environ.get(BIN_OVERRIDE):
        assert bin_dir() == Path(os.environ[BIN_OVERRIDE])
        return
    wheel = wheel_bin_dir()
    assert wheel is not None, f"{WHEEL_PACKAGE} is a dev dependency; it ships the server binaries"
    assert bin_dir() == wheel


def test_the_server_is_postgresql_16(pg_server):
    # Aurora runs 17; 16 is the newest major a wheel ships (README, Tests). With the override,
    # whatever the developer points at.
    version = pg_server.version()
    assert os.environ.get(BIN_OVERRIDE) or version.startswith("16."), version

"""scholarsync: keep a researcher's profile page true."""

from __future__ import annotations

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/scholarsync/scholarsync"

"""scholarsync: keep a researcher's profile page true."""

from __future__ import annotations

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/scholarsync/scholarsync"
# PyPI's "scholarsync" is an unrelated project: ours is installed under its own name, from the
# repository, while the command and the import package stay `scholarsync`.
DISTRIBUTION = "scholarsync-sites"

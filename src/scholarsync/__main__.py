"""Allow ``python -m scholarsync``."""

from scholarsync.cli import main

if __name__ == "__main__":
    main()

"""The one polite, cached HTTP client: cache, robots.txt, pacing, retries, block detection.
Site-specific block rules are registered by the sources that need them."""

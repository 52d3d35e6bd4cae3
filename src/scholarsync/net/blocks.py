"""Recognising a site that refuses us: 429, CAPTCHA pages, WAF challenges, and the rules a
source registers for its own host (Scholar's ``/sorry/`` and sign-in pages live with Scholar).

Pure functions of a URL, a status, headers and a body, so the transport can check every hop
before anything is cached. A block is never retried and never evaded.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scholarsync.errors import BlockedError

CAPTCHA_MARKERS = ("gs_captcha_ccl", "recaptcha", "captcha-form", "unusual traffic")
_WAF_MARKERS = ("awswaf", "aws-waf", "challenge")


class BlockRule:
    """Block detection a source adds for the hosts it reads (see ``Source.block_rules``).

    ``redirect`` returns the error for a redirect that leads to a block page (never
    followed); ``response`` returns the reason a response is a block. A returned error whose
    ``host_wide`` is false refuses that URL only; any other block stops the host for the run.
    ``wait_on_429`` false makes every 429 from these hosts a block, even one whose
    ``Retry-After`` asks for a short pause (elsewhere such a pause is waited for, host-wide).
    """

    wait_on_429 = True

    def applies(self, host: str) -> bool:
        return False

    def redirect(self, url: str, target: str) -> BlockedError | None:
        return None

    def response(self, url: str, status: int, headers: dict[str, str]) -> str | None:
        return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def header_block(status: int, headers: dict[str, str]) -> str | None:
    """The reason a response is a block, judged from status and headers alone."""
    if status == 429:
        return "HTTP 429 Too Many Requests"
    if any(k.lower() == "x-amzn-waf-action" for k in headers):
        return "an AWS WAF challenge (x-amzn-waf-action header)"
    return None


def body_block(status: int, text: str) -> str | None:
    """The reason a response is a block, judged from its body (CAPTCHA, WAF challenge)."""
    lowered = text.lower()
    if status == 202 and (not lowered.strip() or any(m in lowered for m in _WAF_MARKERS)):
        return "an AWS WAF challenge (HTTP 202)"
    if 300 <= status < 400 or status in (304, 404, 410):
        return None
    for marker in CAPTCHA_MARKERS:
        if marker in lowered:
            return f"a CAPTCHA page (contains {marker!r})"
    return None

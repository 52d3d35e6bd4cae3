"""Recognising a site that refuses us: CAPTCHA, ``/sorry/``, 429, WAF, sign-in walls.

Pure functions of a URL, a status, headers and a body, so the transport can check every hop
before anything is cached. A block is never retried and never evaded.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scholarsync.errors import BlockedError

CAPTCHA_MARKERS = ("gs_captcha_ccl", "recaptcha", "captcha-form", "unusual traffic")
_WAF_MARKERS = ("awswaf", "aws-waf", "challenge")
_SIGNIN_PATHS = ("/v3/signin/", "/signin/", "/servicelogin", "/accounts/servicelogin")


class SignInRequiredError(BlockedError):
    """The site answered with a Google sign-in page. For Scholar this means an unknown or
    private profile: the request is refused for that URL only, the host stays usable."""


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_scholar_host(host: str) -> bool:
    return re.fullmatch(r"scholar\.google(\.com?)?(\.[a-z]{2})?", host) is not None


def _is_google_host(host: str) -> bool:
    return re.search(r"(^|\.)google(\.com?)?(\.[a-z]{2})?$", host) is not None


def is_signin_url(url: str) -> bool:
    """A Google sign-in page: ``accounts.google.com``, or a sign-in path on a Google host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "accounts.google.com":
        return True
    path = parts.path.lower()
    return _is_google_host(host) and any(path.startswith(p) for p in _SIGNIN_PATHS)


def is_sorry_url(url: str) -> bool:
    """Google's rate-limit interstitial (``/sorry/index?continue=...``)."""
    return urlsplit(url).path.lower().startswith("/sorry/")


def signin_error(url: str) -> SignInRequiredError:
    return SignInRequiredError(
        f"{url} redirects to a Google sign-in page (for a Scholar profile: the profile is "
        "unknown or private)", url=url)


def check_redirect(url: str, target: str) -> None:
    """Raise when a redirect from ``url`` leads to a block page (which is never followed)."""
    if is_sorry_url(target):
        raise BlockedError(f"{url} was redirected to a /sorry/ page (rate limited or "
                           f"CAPTCHA): {target}", url=url)
    if is_signin_url(target):
        raise signin_error(url)


def header_block(url: str, status: int, headers: dict[str, str]) -> str | None:
    """The reason a response is a block, judged from status and headers alone."""
    host = host_of(url)
    if status == 429:
        return "HTTP 429 Too Many Requests"
    if status == 403 and is_scholar_host(host):
        return "HTTP 403 Forbidden from Google Scholar"
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

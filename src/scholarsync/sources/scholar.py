"""Google Scholar profile pages: one request per sync, the first page only.

Config (``[[sources]] kind = "scholar"``)::

    user = "Yno2pxMAAAAJ"      # the 12-character id of citations?user=
    hl = "en"                  # interface language of the page (default "en")

The page read is ``https://scholar.google.com/citations?user=<id>&hl=<hl>&pagesize=100``.
Scholar's robots.txt allows only that first page: no ``cstart=`` pagination and no
``view_citation`` page is ever fetched. When "Show more" is enabled the list is partial
(``SourceResult.complete = False``) and works missing from it are not treated as removed.

Per row: title, ``USER:ARTICLE`` id (``citation_for_view`` of the title link's ``href``, or its
``data-href`` on 2019 pages), authors (first grey line; ``...`` at the end marks a truncated
list), venue (second grey line without the trailing ``, <year>`` span; ``…``/``...`` marks a
truncated venue), year, cited-by count (empty means 0). Records are ``@misc``: Scholar does not
say what kind of work a row is, and the venue line goes to ``howpublished`` (BibTeX's field for
"where a misc work appeared"). The header gives name, affiliation, interests, citations,
h-index and i10-index (all and since-year) and the photo URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlsplit

from scholarsync.core.normalize import (
    latex_escape,
    normalize_arxiv,
    parse_display_name,
    parse_year,
    person_to_bibtex,
)
from scholarsync.errors import BlockedError, ParseError, SourceError
from scholarsync.model import IdentifierSpec, Origin, Person, Problem, Record, SourceResult
from scholarsync.recordcache import (
    cached,
    problem_data,
    problem_from,
    record_data,
    record_from,
    text_hash,
)
from scholarsync.sources.base import BlockRule, WebSource
from scholarsync.sources.meta import clean_text, parse_html

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

    from scholarsync.config import OptionReader

KIND = "scholar"
SITE = "https://scholar.google.com"
_PROFILE = re.compile(r"^(?:https?://)?scholar\.google\.[a-z.]+/citations\?(?:[^#]*&)?"
                      r"user=([\w-]{12})(?:[&#]|$)", re.IGNORECASE)
_INITIALS = re.compile(r"[A-Z][A-Z.\-]{0,5}")
_ELLIPSIS = ("...", "…")
_SIGNIN_PATHS = ("/v3/signin/", "/signin/", "/servicelogin", "/accounts/servicelogin")


class SignInRequiredError(BlockedError):
    """The site answered with a Google sign-in page. For Scholar this means an unknown or
    private profile: the request is refused for that URL only, the host stays usable."""

    host_wide = False


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


class ScholarBlocks(BlockRule):
    """Scholar's ways of refusing: 403, any 429, a ``/sorry/`` redirect, a Google sign-in
    redirect."""

    wait_on_429 = False  # Scholar's 429 means: stop, whatever Retry-After says

    def applies(self, host: str) -> bool:
        return is_scholar_host(host)

    def redirect(self, url: str, target: str) -> BlockedError | None:
        if is_sorry_url(target):
            return BlockedError(f"{url} was redirected to a /sorry/ page (rate limited or "
                                f"CAPTCHA): {target}", url=url)
        if is_signin_url(target):
            return SignInRequiredError(
                f"{url} redirects to a Google sign-in page (for a Scholar profile: the profile "
                "is unknown or private)", url=url)
        return None

    def response(self, url: str, status: int, headers: dict[str, str]) -> str | None:
        return "HTTP 403 Forbidden from Google Scholar" if status == 403 else None


class UnknownProfileError(SourceError):
    """The profile does not exist or is private: Scholar answered with a Google sign-in page."""

    def __init__(self, user: str, url: str | None = None):
        self.user = user
        super().__init__(f"Google Scholar profile {user!r} was not found or is not public "
                         "(Scholar answered with a Google sign-in page); check the `user` of "
                         "the scholar source", url=url)


@dataclass
class ProfileParse:
    """What one profile page says: its rows, its header, whether the list is complete."""

    records: list[Record]
    profile: dict[str, Any]
    complete: bool
    detail: str = ""  # why the list is partial
    problems: list[Problem] = field(default_factory=list)


def profile_url(user: str, hl: str = "en") -> str:
    """The one page read per sync (parameter order fixed, so the cache key is stable)."""
    return f"{SITE}/citations?user={user}&hl={hl}&pagesize=100"


def citation_url(citation_id: str, hl: str = "en") -> str:
    """The ``view_citation`` page of one row: a link for the user, never fetched."""
    user = citation_id.split(":", 1)[0]
    return (f"{SITE}/citations?view_op=view_citation&hl={hl}&user={user}"
            f"&citation_for_view={citation_id}")


def profile_user(target: str) -> str | None:
    """The user id of a Scholar profile URL (any ``scholar.google.*`` host), or of a bare id as
    the config takes it (12 characters; not an OpenAlex-style letter-and-digits id)."""
    target = target.strip()
    match = _PROFILE.match(target)
    if match:
        return match.group(1)
    if re.fullmatch(r"[\w-]{12}", target) and not re.fullmatch(r"[A-Za-z]?\d+", target):
        return target
    return None


def is_signin(html: str, final_url: str | None = None) -> bool:
    """True for Google's account sign-in page (what Scholar sends for unknown profiles)."""
    if final_url and urlsplit(final_url).hostname == "accounts.google.com":
        return True
    head = html[:4000]
    if re.search(r"<base\s+href=[\"']https://accounts\.google\.com/", head, re.IGNORECASE):
        return True
    return "gsc_" not in html and ("AccountsSignInUi" in html or "ServiceLogin" in html)


def _number(text: str) -> int | None:
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else None


def _header(soup: BeautifulSoup, base: str) -> dict[str, Any]:
    profile: dict[str, Any] = {}
    name = soup.select_one("#gsc_prf_in")
    if name:
        profile["name"] = clean_text(name.get_text())
    lines = [d for d in soup.select("#gsc_prf_i div.gsc_prf_il")
             if d.get("id") not in ("gsc_prf_ivh", "gsc_prf_int")]
    if lines:
        profile["affiliation"] = clean_text(lines[0].get_text())
    interests = [clean_text(a.get_text()) for a in soup.select("#gsc_prf_int a")]
    if interests:
        profile["interests"] = [i for i in interests if i]
    photo = soup.select_one("#gsc_prf_pup-img")
    src = photo.get("src") if photo else None
    if isinstance(src, str) and "avatar" not in src:
        profile["photo"] = urljoin(base, src)
    table = soup.select_one("#gsc_rsb_st")
    if table:
        heads = [clean_text(th.get_text()) for th in table.select("th")]
        since = next((parse_year(h) for h in heads if parse_year(h)), None)
        if since:
            profile["since_year"] = since
        names = ("citations", "h_index", "i10_index")
        for key, row in zip(names, table.select("tbody tr"), strict=False):
            cells = [_number(td.get_text()) for td in row.select("td.gsc_rsb_std")]
            if cells and cells[0] is not None:
                profile[key] = cells[0]
            if len(cells) > 1 and cells[1] is not None:
                profile[f"{key}_since"] = cells[1]
    return profile


def _scholar_person(name: str) -> Person:
    """ "AM Kietzig" / "T van de Ven" (initials first, as Scholar writes) to a Person."""
    words = name.split()
    if len(words) >= 2 and _INITIALS.fullmatch(words[0]):
        rest = words[1:]
        split = 0
        while split < len(rest) - 1 and rest[split][:1].islower():
            split += 1
        return Person(given=words[0], von=" ".join(rest[:split]), family=" ".join(rest[split:]))
    return parse_display_name(name)


def _citation_id(link: Tag | None) -> str | None:
    if link is None:
        return None
    for attr in ("href", "data-href"):
        value = link.get(attr)
        if isinstance(value, str) and "citation_for_view=" in value:
            found = parse_qs(urlsplit(value).query).get("citation_for_view")
            if found and ":" in found[0]:
                return found[0]
    return None


# Scholar writes preprints as "arXiv preprint arXiv:2311.15194": the id links the versions.
_ARXIV_VENUE = re.compile(r"\barXiv:\s*(\S+)", re.IGNORECASE)


def _row(tr: Tag, number: int, url: str, hl: str, read: str) -> Record | None:
    link = tr.select_one("a.gsc_a_at")
    citation_id = _citation_id(link)
    title = clean_text(link.get_text()) if link else ""
    if not citation_id or not title:
        return None
    gray = tr.select("div.gs_gray")
    author_text = clean_text(gray[0].get_text()) if gray else ""
    truncated = author_text.endswith(_ELLIPSIS)
    author_text = author_text.rstrip(".… ").rstrip(",") if truncated else author_text
    authors = [_scholar_person(clean_text(n)) for n in author_text.split(",") if clean_text(n)]
    venue = ""
    if len(gray) > 1:
        venue_div = gray[1]
        for span in venue_div.select("span.gs_oph"):
            span.extract()
        venue = clean_text(venue_div.get_text()).rstrip(", ")
    year_tag = tr.select_one("span.gsc_a_h") or tr.select_one(".gsc_a_y")
    year = parse_year(clean_text(year_tag.get_text())) if year_tag else None
    cited = tr.select_one("a.gsc_a_ac")
    citations = _number(cited.get_text()) if cited else None
    ids = {"scholar": citation_id}
    arxiv = _ARXIV_VENUE.search(venue)
    if arxiv and (arxiv_id := normalize_arxiv(arxiv.group(1))):
        ids["arxiv"] = arxiv_id
    names = [person_to_bibtex(a) for a in authors] + (["others"] if truncated else [])
    fields = {"title": latex_escape(title)}
    if names:
        fields["author"] = " and ".join(names)
    if year:
        fields["year"] = str(year)
    if venue:
        fields["howpublished"] = latex_escape(venue)
    return Record(
        source=KIND, origin=Origin(KIND, url, number), key=f"{KIND}:{citation_id}", type="misc",
        fields=fields, title=title, authors=authors, authors_truncated=truncated, year=year,
        venue=venue, venue_truncated=venue.endswith(_ELLIPSIS), ids=ids,
        links={"scholar": citation_url(citation_id, hl)}, citations=citations or 0,
        citations_read=read)


def parse_profile_page(html: str, user: str, today: str, *, url: str | None = None,
                       final_url: str | None = None, hl: str = "en") -> ProfileParse:
    """A profile page to records (one per row), header and completeness.

    Raises UnknownProfileError for Google's sign-in page and ParseError for a page that is
    not a profile at all. ``today`` is the date the counts were read.
    """
    url = url or profile_url(user, hl)
    if is_signin(html, final_url):
        raise UnknownProfileError(user, url)
    soup = parse_html(html)
    rows = soup.select("tr.gsc_a_tr")
    if not rows and not soup.select_one("#gsc_prf_in") and not soup.select_one("#gsc_a_b"):
        raise ParseError(f"the page for Scholar user {user!r} is not a profile page (no header, "
                         "no article table): Scholar changed its markup, or the page is cut",
                         url=url)
    records: list[Record] = []
    problems: list[Problem] = []
    for number, tr in enumerate(rows, start=1):
        record = _row(tr, number, url, hl, today)
        if record is None:
            problems.append(Problem("warning", "row without a title or citation id skipped",
                                    url, number, KIND))
        else:
            records.append(record)
    profile = {"user": user, "url": url, **_header(soup, SITE + "/")}
    profile["articles_shown"] = len(rows)
    more = soup.select_one("#gsc_bpf_more")
    if more is None:
        complete, detail = False, ("the 'Show more' button is missing (page cut or changed?): "
                                   "the list may be partial")
        problems.append(Problem("error", detail, url, None, KIND))
    elif more.has_attr("disabled"):
        complete, detail = True, ""
    else:
        complete, detail = False, (f"partial list: the first {len(rows)} works only (Scholar's "
                                   "'Show more' is enabled; further pages are not fetched)")
    return ProfileParse(records, profile, complete, detail, problems)


def _encode(parsed: ProfileParse) -> dict[str, Any]:
    """A profile page's parse as JSON data, for the records cache."""
    return {"records": [record_data(r) for r in parsed.records], "profile": parsed.profile,
            "complete": parsed.complete, "detail": parsed.detail,
            "problems": [problem_data(p) for p in parsed.problems]}


def _decode(data: dict[str, Any]) -> ProfileParse:
    return ProfileParse([record_from(r) for r in data["records"]], dict(data["profile"]),
                        data["complete"], data["detail"],
                        [problem_from(p) for p in data["problems"]])


class ScholarSource(WebSource):
    """The profile ``options["user"]``: one page, header and rows."""

    kind = KIND
    rank = 90  # truncated names and venues: every other source wins
    required = ("user",)
    optional = ("hl",)
    identifiers = (IdentifierSpec(
        "scholar", exclusive=False, label="Scholar", listed=True,
        link=f"{SITE}/citations?view_op=view_citation&citation_for_view={{id}}"),)
    citation_label = "Google Scholar"
    block_rules = (ScholarBlocks(),)

    @classmethod
    def parse_options(cls, table: OptionReader) -> dict[str, Any]:
        value = table.string("user")
        match = re.search(r"[?&]user=([\w-]{12})", value)
        user = match.group(1) if match else value.strip()
        if not re.fullmatch(r"[\w-]{12}", user):
            raise table.error("user", f"{value!r} is not a Scholar user id "
                              "(12 characters, as in citations?user=Yno2pxMAAAAJ)")
        return {"user": user, "hl": table.string("hl", "en") or "en"}

    @classmethod
    def owner_page(cls, options: dict[str, Any]) -> str | None:
        return f"{SITE}/citations?user={options['user']}"

    @classmethod
    def accepts(cls, target: str) -> bool:
        return profile_user(target) is not None

    def _parse(self, user: str, hl: str) -> tuple[ProfileParse, Any]:
        url = profile_url(user, hl)
        try:
            page = self.get(url)
        except SignInRequiredError:
            # Scholar redirects to accounts.google.com for a profile it will not show
            raise UnknownProfileError(user, url) from None
        read = (page.fetched_at or self.context.today)[:10]

        def parse() -> ProfileParse:
            return parse_profile_page(page.text, user, read, url=url, final_url=page.final_url,
                                      hl=hl)

        parts = ("scholar profile", url, page.final_url or "", text_hash(page.text), user, read,
                 hl)
        return cached(self.context.records, url, parts, parse, _encode, _decode), page

    def inspect(self, target: str) -> list[Record]:
        user = profile_user(target)
        if user is None:
            raise SourceError(f"{target!r} is not a Google Scholar profile URL")
        found = parse_qs(urlsplit(target).query).get("hl")
        hl = found[0] if found else self.config.options.get("hl", "en")
        return self._parse(user, hl)[0].records

    def read(self) -> SourceResult:
        user = self.config.options["user"]
        parsed, page = self._parse(user, self.config.options.get("hl") or "en")
        if any(p.level == "error" for p in parsed.problems):
            self.context.http.forget(page.url)  # a page cut short is not kept for the next run
        return self.result(parsed.records, parsed.problems, complete=parsed.complete,
                           detail=parsed.detail, profile=parsed.profile)

"""Normalization shared by every room: LaTeX <-> Unicode, names, titles, identifiers, years.

Every function here is pure. ``collapse_whitespace``, ``fold``, ``title_key``, ``name_key``,
``normalize_doi``, ``normalize_arxiv``, ``normalize_escholarship`` and ``parse_year`` are
idempotent (applying one twice changes nothing). ``latex_to_unicode`` is not (``\\{`` decodes to
``{``, which would then be read as a group), but for ordinary text
``latex_to_unicode(latex_escape(s)) == collapse_whitespace(s)``.

LaTeX decoding is fast: plain text returns at once, the common markup (braces, accents, special
letters, escapes, dashes, quotes, font commands) is decoded by a small hand-written decoder, and
only what that decoder does not know (math, unknown macros) goes to pylatexenc. Every decode
is cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote

from scholarsync.model import OTHERS, Person

_WS = re.compile(r"\s+")
_LATEX_HINT = re.compile(r"[\\{}$~]|--|``|''")

# Tables of the fast decoder: what the common LaTeX commands stand for in Unicode.
ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331", "t": "\u0361",
}
DOTLESS = {"\u0131": "i", "\u0237": "j"}  # an accent on \i or \j goes on a plain i / j
SYMBOLS = {  # control symbols
    "&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ", "\n": " ",
    "\t": " ", ",": "\u2009", ";": " ", ":": " ", "!": "", "-": "", "/": "", "@": "",
    "\\": " ", "|": "\u2016",
}
SYMBOL_WORDS = {
    "i": "\u0131", "j": "\u0237", "l": "\u0142", "L": "\u0141", "o": "\u00f8", "O": "\u00d8",
    "aa": "\u00e5", "AA": "\u00c5", "ae": "\u00e6", "AE": "\u00c6", "oe": "\u0153",
    "OE": "\u0152", "ss": "\u00df", "SS": "SS", "dh": "\u00f0", "DH": "\u00d0", "th": "\u00fe",
    "TH": "\u00de", "ng": "\u014b", "NG": "\u014a", "dj": "\u0111", "DJ": "\u0110",
    "textendash": "\u2013", "textemdash": "\u2014", "ldots": "\u2026", "dots": "\u2026",
    "textellipsis": "\u2026", "textquoteleft": "\u2018", "textquoteright": "\u2019",
    "textquotedblleft": "\u201c", "textquotedblright": "\u201d", "textquotedbl": '"',
    "guillemotleft": "\u00ab", "guillemotright": "\u00bb", "guillemetleft": "\u00ab",
    "guillemetright": "\u00bb", "textless": "<", "textgreater": ">", "textbar": "|",
    "textbackslash": "\\", "textasciitilde": "~", "textasciicircum": "^",
    "textunderscore": "_", "textbraceleft": "{", "textbraceright": "}", "S": "\u00a7",
    "P": "\u00b6", "pounds": "\u00a3", "textsterling": "\u00a3", "copyright": "\u00a9",
    "textcopyright": "\u00a9", "textregistered": "\u00ae", "texttrademark": "\u2122",
    "textdegree": "\u00b0", "texttimes": "\u00d7", "textdollar": "$", "textbullet": "\u2022",
    "textperiodcentered": "\u00b7", "dag": "\u2020", "ddag": "\u2021", "texteuro": "\u20ac",
    "euro": "\u20ac", "slash": "/", "textslash": "/",
    "TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2e", "BibTeX": "BibTeX", "XeTeX": "XeTeX",
    "LuaTeX": "LuaTeX", "XeLaTeX": "XeLaTeX", "LuaLaTeX": "LuaLaTeX", "ConTeXt": "ConTeXt",
    "MF": "Metafont", "MP": "MetaPost", "AmSTeX": "AmS-TeX", "AmS": "AmS", "BibLaTeX": "BibLaTeX",
    "nobreakspace": "\u00a0", "quad": " ", "qquad": " ", "enspace": " ", "thinspace": "\u2009",
    "space": " ", "textvisiblespace": "\u2423", "textasciiacute": "\u00b4",
    "textexclamdown": "\u00a1", "textquestiondown": "\u00bf", "textsection": "\u00a7",
    "textparagraph": "\u00b6", "textordfeminine": "\u00aa", "textordmasculine": "\u00ba",
    "textonehalf": "\u00bd", "textonequarter": "\u00bc", "textthreequarters": "\u00be",
    "textasciimacron": "\u00af", "textmu": "\u00b5", "textminus": "\u2212",
    "textpm": "\u00b1", "textdiv": "\u00f7",
}
ZERO_WIDTH = {  # font switches and no-ops: dropped, what follows stays
    "it", "bf", "tt", "sl", "sc", "em", "rm", "sf", "up", "md", "normalfont", "itshape",
    "bfseries", "ttfamily", "scshape", "slshape", "upshape", "rmfamily", "sffamily", "mdseries",
    "small", "large", "Large", "LARGE", "footnotesize", "normalsize", "tiny", "scriptsize",
    "huge", "Huge", "relax", "protect", "ignorespaces", "unskip", "nolinkurl", "null",
    "xspace", "hbox", "leavevmode", "noindent",
}
DROP_ARG = {"vphantom", "hphantom", "phantom", "noopsort", "SortNoop", "sortnoop", "label",
            "index", "hspace", "vspace", "footnote", "thanks"}  # the command and its argument go
MATH_WORDS = {  # what math mode adds to SYMBOL_WORDS (Greek letters and common operators)
    **dict(zip(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
                "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "varsigma", "sigma",
                "tau", "upsilon", "phi", "chi", "psi", "omega"],
               "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf\u03c0"
               "\u03c1\u03c2\u03c3\u03c4\u03c5\u03c6\u03c7\u03c8\u03c9", strict=True)),
    **dict(zip(["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota",
                "Kappa", "Lambda", "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho"],
               "\u0391\u0392\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039a\u039b\u039c\u039d\u039e\u039f\u03a0"
               "\u03a1", strict=True)),
    "Sigma": "\u03a3", "Tau": "\u03a4", "Upsilon": "\u03a5", "Phi": "\u03a6", "Chi": "\u03a7",
    "Psi": "\u03a8", "Omega": "\u03a9", "varepsilon": "\u03b5", "vartheta": "\u03d1",
    "varphi": "\u03c6", "varpi": "\u03d6", "varrho": "\u03f1", "ell": "\u2113",
    "times": "\u00d7", "cdot": "\u22c5", "pm": "\u00b1", "mp": "\u2213", "leq": "\u2264",
    "le": "\u2264", "geq": "\u2265", "ge": "\u2265", "neq": "\u2260", "ne": "\u2260",
    "infty": "\u221e", "to": "\u2192", "rightarrow": "\u2192", "leftarrow": "\u2190",
    "Rightarrow": "\u21d2", "leftrightarrow": "\u2194", "approx": "\u2248", "sim": "\u223c",
    "simeq": "\u2243", "equiv": "\u2261", "partial": "\u2202", "nabla": "\u2207",
    "sum": "\u2211", "prod": "\u220f", "int": "\u222b", "sqrt": "\u221a", "circ": "\u2218",
    "prime": "\u2032", "in": "\u2208", "notin": "\u2209", "subset": "\u2282",
    "subseteq": "\u2286", "cup": "\u222a", "cap": "\u2229", "emptyset": "\u2205",
    "forall": "\u2200", "exists": "\u2203", "neg": "\u00ac", "wedge": "\u2227",
    "vee": "\u2228", "oplus": "\u2295", "otimes": "\u2297", "star": "\u22c6", "ast": "*",
    "cdots": "\u22ef", "ldots": "\u2026", "langle": "\u27e8", "rangle": "\u27e9",
    "mid": "|", "log": "log", "ln": "ln", "exp": "exp", "sin": "sin", "cos": "cos", "max": "max",
    "min": "min", "lim": "lim", "deg": "deg", "det": "det", "dim": "dim", "hbar": "\u210f",
    "aleph": "\u2135", "propto": "\u221d", "perp": "\u22a5", "parallel": "\u2225",
    "lfloor": "\u230a", "rfloor": "\u230b", "lceil": "\u2308", "rceil": "\u2309",
    "mapsto": "\u21a6", "ll": "\u226a", "gg": "\u226b", "bullet": "\u2219",
    "left": "", "right": "", "big": "", "Big": "", "displaystyle": "", "limits": "",
}
MATH_ARG = {"mathrm", "mathit", "mathbf", "mathsf", "mathtt", "mathcal", "mathbb", "mathfrak",
            "boldsymbol", "bm", "operatorname", "text", "textrm", "textit", "mbox", "hat", "bar",
            "tilde", "vec", "dot", "ddot", "overline", "underline", "widehat", "widetilde"}
ARG_COMMANDS = {  # text commands: the command goes, its argument group stays as text
    "emph", "textit", "textbf", "textsc", "texttt", "textrm", "textsf", "textsl", "textup",
    "textnormal", "textmd", "mbox", "text", "url", "acro", "textsuperscript", "textsubscript",
    "ensuremath", "uline", "underline", "enquote", "mkbibquote", "mkbibemph", "NoCaseChange",
    "nocase", "textenglish", "path",
}
SYMBOL_WORDS.update({"langle": "\u27e8", "rangle": "\u27e9", "Dash": "\u2014",
                     "dash": "\u2014", "bs": "\\", "textunderscore": "_"})


def collapse_whitespace(text: str) -> str:
    """Runs of white space to one space, stripped."""
    return " ".join(text.split())  # str.split() and re's \s agree on what white space is


# -- LaTeX -> Unicode ------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\\([a-zA-Z]+)\*?[ \t\r\n]*"  # 1: control word (eats the spaces after it, as TeX does)
    r"|\\(.)"  # 2: control symbol
    r"|([{}])"  # 3: group delimiters (dropped)
    r"|(---?|``|''|~)"  # 4: ligatures
    r"|([^\\{}$~`'-]+|[`'-])",  # 5: plain text
    re.DOTALL,
)
_LIGATURES = {"--": "\u2013", "---": "\u2014", "``": "\u201c", "''": "\u201d", "~": "\u00a0"}


class _Unknown(Exception):
    """The fast decoder met markup it does not handle."""


def _group_end(text: str, start: int) -> int:
    """Index just past the ``}`` closing the group opened at ``text[start] == "{"``."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "\\":
            continue
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return i + 1
    raise _Unknown("unbalanced group")


def _accent(mark: str, text: str, pos: int) -> tuple[str, int]:
    """Apply the combining ``mark`` to the argument starting at ``pos``."""
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    if pos >= len(text):
        raise _Unknown("accent without argument")
    if text[pos] == "{":
        end = _group_end(text, pos)
        arg, after = _fast_decode(text[pos + 1 : end - 1]), end
    elif text[pos] == "\\":
        match = _TOKEN.match(text, pos)
        if not match or not match.group(1):
            raise _Unknown("accent on a symbol")
        arg, after = _fast_decode(match.group(0).rstrip()), match.end()
    else:
        arg, after = text[pos], pos + 1
    if not arg:
        return "", after
    base = DOTLESS.get(arg[0], arg[0])
    return unicodedata.normalize("NFC", base + mark) + arg[1:], after


def _math(text: str) -> str:
    """Simple math (``$\\alpha$-helix``, ``$O(n^2)$``) to text; _Unknown for the rest."""
    out: list[str] = []
    for match in _MATH_TOKEN.finditer(text):
        word, symbol, plain = match.groups()
        if plain is not None:
            out.append(plain)
        elif word is not None:
            if word in MATH_WORDS:
                out.append(MATH_WORDS[word])
            elif word in SYMBOL_WORDS:
                out.append(SYMBOL_WORDS[word])
            elif word not in MATH_ARG:
                raise _Unknown(word)
        elif symbol is not None:
            if symbol not in SYMBOLS:
                raise _Unknown(symbol)
            out.append(SYMBOLS[symbol])
    return "".join(out)


_MATH_TOKEN = re.compile(r"\\([a-zA-Z]+)\s*|\\(.)|[{}]|([^\\{}]+)", re.DOTALL)
_MATH = re.compile(r"\$([^$]*)\$")
_LOGO = re.compile(r"[A-Z]")


def _fast_decode(text: str) -> str:
    """Decode the common LaTeX markup; raise _Unknown for anything else."""
    out: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:  # "$" (math) or a lone backslash at the end
            math = _MATH.match(text, pos)
            if not math:
                raise _Unknown(text[pos])
            out.append(_math(math.group(1)))
            pos = math.end()
            continue
        pos = match.end()
        word, symbol, brace, ligature, plain = match.groups()
        if plain is not None:
            out.append(plain)
        elif brace is not None:
            continue
        elif ligature is not None:
            out.append(_LIGATURES[ligature])
        elif symbol is not None:
            if symbol in ACCENTS:
                decoded, pos = _accent(ACCENTS[symbol], text, pos)
                out.append(decoded)
            elif symbol in SYMBOLS:
                out.append(SYMBOLS[symbol])
            else:
                raise _Unknown(symbol)
        elif word in ACCENTS:
            decoded, pos = _accent(ACCENTS[word], text, pos)
            out.append(decoded)
        elif word in SYMBOL_WORDS:
            out.append(SYMBOL_WORDS[word])
            if len(SYMBOL_WORDS[word]) > 1 and text[pos - 1].isspace():
                out.append(" ")  # "\TeX book": a logo keeps its space (a letter like \L not)
        elif word in ARG_COMMANDS or word in ZERO_WIDTH:
            continue  # font switches and text commands: the argument group stays as text
        elif word in DROP_ARG:
            if pos < end and text[pos] == "{":
                pos = _group_end(text, pos)
        elif _LOGO.search(word) and (pos >= end or text[pos] != "{" or text[pos + 1] == "}"):
            out.append(word)  # an unknown logo macro (\TUB, \CTAN, \AllTeX): show its name
            if text[pos - 1].isspace():
                out.append(" ")
        else:
            raise _Unknown(word)
    return "".join(out)


@lru_cache(maxsize=4096)
def _pylatexenc():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


def _slow_decode(text: str) -> str:
    """pylatexenc for what the fast decoder does not know; never raises."""
    escaped = re.sub(r"(?<!\\)%", r"\\%", text)  # "%" is literal in a BibTeX value
    try:
        return _pylatexenc().latex_to_text(escaped)
    except Exception:  # pylatexenc fails on some malformed input: show the text, unbraced
        return re.sub(r"\\([a-zA-Z]+)|[{}$]", lambda m: m.group(1) or "", text)


@lru_cache(maxsize=131072)
def _decode(text: str) -> str:
    if "\\" not in text and "$" not in text:
        for ligature in ("---", "--", "``", "''", "~"):
            if ligature in text:
                text = text.replace(ligature, _LIGATURES[ligature])
        return collapse_whitespace(text.replace("{", "").replace("}", ""))
    try:
        return collapse_whitespace(_fast_decode(text))
    except _Unknown:
        return collapse_whitespace(_slow_decode(text))


def latex_to_unicode(text: str) -> str:
    """Decode LaTeX markup for display; plain text is returned without parsing."""
    if not text:
        return ""
    if not _LATEX_HINT.search(text):
        return collapse_whitespace(text)
    return _decode(text)


_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "\\": r"\textbackslash{}", "-": "-{}", "`": "`{}", "'": "'{}"}
_ESCAPE_RE = re.compile(r"[&%$#_{}~^\\]|-(?=-)|`(?=`)|'(?=')")


def latex_escape(text: str) -> str:
    """Unicode text (from a web page) to a BibTeX-safe value; non-ASCII is kept as UTF-8.

    Dashes and quote pairs are kept apart (``-{}-``) so that they do not become ligatures.
    """
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], collapse_whitespace(text))


# -- comparison keys -------------------------------------------------------------------------


def _fold_once(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """Accent-stripped, case-folded text for comparisons."""
    if text.isascii():
        return text.lower()
    once = _fold_once(text)
    return once if once.isascii() else _fold_once(once)


_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """A matching key: folded, punctuation dropped, words joined by single spaces."""
    return _NON_ALNUM.sub(" ", fold(title)).strip()


def name_key(name: str) -> str:
    """A folded family name for comparisons ("Dubois-Kaur" -> "dubois kaur")."""
    return title_key(name)




# -- names -----------------------------------------------------------------------------------

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_NOBODY = Person()
_SPACE = re.compile(r"[\s~]+")
_COMMA = re.compile(r",")
_LETTER_COMMAND = re.compile(r"\\([a-zA-Z]+)")
_SUFFIX = re.compile(r"^(?:jr|sr|jnr|snr)\.?$|^(?:II|III|IV)$", re.IGNORECASE)
_EXTENDED = re.compile(r"^\s*(family|given|prefix|suffix|useprefix)\s*=\s*(.*)$", re.DOTALL)


_BRACED = {}  # separator pattern -> the same pattern that also finds braces


def _split_top_level(text: str, sep: re.Pattern[str], keep_empty: bool = False) -> list[str]:
    """Split on ``sep`` outside braces."""
    if "{" not in text:
        parts = sep.split(text)
    else:
        braced = _BRACED.get(sep.pattern)
        if braced is None:
            braced = _BRACED[sep.pattern] = re.compile(r"(\{)|(\})|" + sep.pattern, sep.flags)
        parts, depth, start = [], 0, 0
        for match in braced.finditer(text):
            if match.group(1):
                depth += 1
            elif match.group(2):
                depth = max(0, depth - 1)
            elif depth == 0:
                parts.append(text[start : match.start()])
                start = match.end()
        parts.append(text[start:])
    stripped = [p.strip() for p in parts]
    return stripped if keep_empty else [p for p in stripped if p]


def _word_case(word: str) -> str:
    """"l" when a name word starts lower-case (a "von" particle), "u" upper, "" caseless.

    As BibTeX does: braces hide their content, except a special character ``{\\'e}``, whose
    case is that of its letter; letters of a bare accent command (``\\v``) are not counted.
    """
    depth, i, n = 0, 0, len(word)
    while i < n:
        ch = word[i]
        if ch == "{":
            if depth == 0 and word.startswith("{\\", i):
                end = word.find("}", i)
                group = word[i + 2 : end if end > 0 else n]
                command = _LETTER_COMMAND.match("\\" + group)
                if command and command.group(1) in SYMBOL_WORDS:
                    return "l" if command.group(1)[0].islower() else "u"
                rest = group[command.end() - 1 :] if command else group[1:]
                for c in rest:
                    if c.isalpha():
                        return "l" if c.islower() else "u"
                return ""
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch == "\\":
            command = _LETTER_COMMAND.match(word, i)
            if command:
                if command.group(1) in SYMBOL_WORDS:
                    return "l" if command.group(1)[0].islower() else "u"
                i = command.end()
                continue
            i += 2
            continue
        elif depth == 0 and ch.isalpha():
            return "l" if ch.islower() else "u"
        i += 1
    return ""


def _person(given: list[str], von: list[str], family: list[str], jr: list[str],
            plain: bool = False) -> Person:
    if plain:  # no LaTeX markup anywhere in the name: nothing to decode
        return Person(given=" ".join(given), family=" ".join(family), von=" ".join(von),
                      jr=" ".join(jr))
    return Person(
        given=latex_to_unicode(" ".join(given)),
        family=latex_to_unicode(" ".join(family)),
        von=latex_to_unicode(" ".join(von)),
        jr=latex_to_unicode(" ".join(jr)),
    )


def _von_last(words: list[str]) -> tuple[list[str], list[str]]:
    """Split "von Last" words: von runs to the last lower-case word before the final one."""
    split = 0
    for i, word in enumerate(words[:-1]):
        if _word_case(word) == "l":
            split = i + 1
    return words[:split], words[split:]


def _extended_name(parts: list[str]) -> Person | None:
    """biblatex's extended name format ``family=Doe, given=Jane, prefix=de``."""
    values: dict[str, str] = {}
    for part in parts:
        match = _EXTENDED.match(part)
        if not match:
            return None
        values[match.group(1)] = match.group(2).strip()
    return _person([values.get("given", "")], [values.get("prefix", "")],
                   [values.get("family", "")], [values.get("suffix", "")])


@lru_cache(maxsize=65536)
def _parse_name(raw: str) -> Person:
    if "=" not in raw and not _LATEX_HINT.search(raw):
        # the common plain forms, "Family, Given" and "Given Family", without the general machinery
        if raw.count(",") == 1:
            family, given = raw.split(",")
            if " " not in family.strip():
                return Person(given=given.strip(), family=family.strip())
        elif "," not in raw:
            words = raw.split()
            if len(words) == 2 and words[0][:1].isupper() and words[1][:1].isupper():
                return Person(given=words[0], family=words[1])
    if raw.startswith("{") and raw.endswith("}") and _group_closes_at_end(raw):
        return Person(literal=latex_to_unicode(raw))
    parts = _split_top_level(raw, _COMMA, keep_empty=True)
    plain = not _LATEX_HINT.search(raw)
    if len(parts) > 1 and "=" in raw:
        extended = _extended_name(parts)
        if extended is not None:
            return extended
    if len(parts) == 2 and _SUFFIX.match(parts[1]) and " " in parts[0]:
        parts = [parts[0]]  # "Martin Luther King, Jr."
        suffix = [raw.rsplit(",", 1)[1].strip()]
    else:
        suffix = []
    if len(parts) == 1:
        words = _split_top_level(parts[0], _SPACE)
        if not suffix and len(words) >= 3 and _SUFFIX.match(words[-1]):
            words, suffix = words[:-1], words[-1:]
        if len(words) == 1:
            return _person([], [], words, suffix, plain)
        start = next((i for i, w in enumerate(words[:-1]) if _word_case(w) == "l"), None)
        if start is None:
            return _person(words[:-1], [], words[-1:], suffix, plain)
        von, family = _von_last(words[start:])
        return _person(words[:start], von, family, suffix, plain)
    von, family = _von_last(_split_top_level(parts[0], _SPACE))
    if len(parts) == 2:
        return _person([parts[1]], von, family, [], plain)
    return _person([", ".join(p for p in parts[2:] if p)], von, family, [parts[1]], plain)


def _group_closes_at_end(text: str) -> bool:
    """True when the ``{`` opening ``text`` is closed by its last character."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def parse_bibtex_name(raw: str) -> Person:
    """One BibTeX name ("von Last, Jr, First" / "First von Last" / "{Corporate}") to a Person."""
    raw = collapse_whitespace(raw)
    if raw.casefold() == "others":
        return OTHERS
    return _parse_name(raw)


@lru_cache(maxsize=65536)
def _parse_names(value: str) -> tuple[tuple[Person, ...], bool]:
    people: list[Person] = []
    truncated = False
    for part in _split_top_level(collapse_whitespace(value), _AND):
        if part.casefold() == "others":
            truncated = True
            continue
        person = _parse_name(part)
        if person != _NOBODY:
            people.append(person)
    return tuple(people), truncated


def parse_bibtex_names(value: str) -> tuple[list[Person], bool]:
    """An ``author``/``editor`` field to Persons; ``truncated`` when it ends in "and others"."""
    people, truncated = _parse_names(value)
    return list(people), truncated


def parse_display_name(name: str) -> Person:
    """A name as a web page writes it ("Vima Gupta", "Gupta, Vima", "Ludwig van Beethoven")."""
    name = collapse_whitespace(name).strip(" ,")
    if not name:
        return Person()
    if name.casefold() in {"others", "et al", "et al.", "..."}:
        return OTHERS
    return _parse_name(latex_escape(name))


def _protect(part: str, lower_ok: bool = True) -> str:
    """Escape one name part, bracing it when BibTeX would otherwise split or re-case it."""
    escaped = latex_escape(part)
    if "," in escaped or _AND.search(f" {escaped} ") or (
        not lower_ok and _word_case(escaped) == "l"
    ):
        return "{" + escaped + "}"
    return escaped


def person_to_bibtex(person: Person) -> str:
    """A Person back to BibTeX name syntax ("von Family, Jr, Given")."""
    if person.literal:
        return "others" if person.is_others else "{" + latex_escape(person.literal) + "}"
    family = _protect(person.family, lower_ok=False) if person.family else ""
    if person.von:
        family = f"{latex_escape(person.von)} {family}".strip()
    parts = [family]
    if person.jr:
        parts.append(_protect(person.jr))
    if person.given or person.jr:
        parts.append(_protect(person.given))
    elif family.startswith("{") and not person.von:
        parts.append("")  # "{de Souza}," so that it is not read as a corporate literal
    return ", ".join(parts).strip()


# -- identifiers -----------------------------------------------------------------------------

_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_CLOSERS = {")": "(", "]": "["}


def normalize_doi(value: str | None) -> str | None:
    """``https://doi.org/10.1145/ABC`` / ``doi:10.1145/abc.`` -> ``10.1145/abc``; None if no DOI."""
    if not value:
        return None
    text = value.strip()
    if "%" in text:
        text = unquote(text)
    if "\\" in text or "{" in text:
        text = text.replace("\\_", "_").replace("\\%", "%").replace("{", "").replace("}", "")
    match = _DOI.search(text)
    if not match:
        return None
    doi = match.group(0)
    while doi[-1] in ".,;:)]'":
        opener = _CLOSERS.get(doi[-1])
        if opener and doi.count(opener) >= doi.count(doi[-1]):
            break  # "10.1016/0003(63)90068-X)" keeps a bracket that closes inside it
        doi = doi[:-1]
    return None if doi.endswith("/") else doi.lower()


_ARXIV_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/|^arxiv:\s*",
    re.IGNORECASE,
)
_ARXIV_NEW = re.compile(r"(?<![\d.])(\d\d)(\d\d)\.(\d{4,5})(v\d+)?(?!\d)", re.IGNORECASE)
_ARXIV_OLD = re.compile(r"(?<![\w.-])([a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2})?/(\d{7})(v\d+)?(?!\d)",
                        re.IGNORECASE)


def normalize_arxiv(value: str | None) -> str | None:
    """arXiv id from an id, ``arXiv:`` form or arxiv.org URL; a pinned version is kept.

    New ids (``2311.15194``) and old ones (``hep-th/9901001``; a subject class as in
    ``math.GT/0309136`` is dropped, as arXiv does).
    """
    if not value:
        return None
    text = _ARXIV_PREFIX.sub("", value.strip())
    old = _ARXIV_OLD.search(text)
    if old:
        return f"{old.group(1).lower()}/{old.group(2)}{(old.group(3) or '').lower()}"
    for new in _ARXIV_NEW.finditer(text):
        if 1 <= int(new.group(2)) <= 12:
            version = (new.group(4) or "").lower()
            return f"{new.group(1)}{new.group(2)}.{new.group(3)}{version}"
    return None


def arxiv_base(arxiv_id: str) -> str:
    """The arXiv id without its version, for matching."""
    return re.sub(r"v\d+$", "", arxiv_id)


_ESCHOLARSHIP_URL = re.compile(
    r"escholarship\.org/(?:uc/item/(?:qt)?|content/qt)([0-9a-z]{8})(?![0-9a-z])", re.IGNORECASE
)
_ESCHOLARSHIP_ID = re.compile(r"^(?:qt)?([0-9a-z]{8})$", re.IGNORECASE)


def normalize_escholarship(value: str | None) -> str | None:
    """eScholarship item id (8 characters, no ``qt``) from an id, item URL or PDF URL."""
    if not value:
        return None
    text = value.strip()
    match = _ESCHOLARSHIP_URL.search(text) or _ESCHOLARSHIP_ID.match(text)
    return match.group(1).lower() if match else None


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")


def parse_year(value: str | int | None) -> int | None:
    """The first plausible four-digit year in ``value`` (``2024``, ``2024-05-22``, ``{2024}``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None

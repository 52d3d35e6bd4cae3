"""LaTeX <-> Unicode for the fields people read (title, names, venue).

Decoding is fast: plain text returns at once, the common markup (braces, accents, special
letters, escapes, dashes, quotes, font commands) is decoded by a small hand-written decoder, and
only what that decoder does not know (math, unknown macros) goes to pylatexenc. Every decode
is cached. ``latex_escape`` goes the other way, for values that came from web pages; for
ordinary text ``latex_to_unicode(latex_escape(s)) == collapse_whitespace(s)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Generator
from functools import lru_cache

_WS = re.compile(r"\s+")
_LATEX_HINT = re.compile(r"[\\{}$~]|--|``|''")
LATEX_HINT = _LATEX_HINT  # text that may hold LaTeX markup

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


_COLLAPSIBLE = re.compile(r"\s\s|[^\S ]|^\s|\s$")  # what collapse_whitespace changes


def collapse_whitespace(text: str) -> str:
    """Runs of white space to one space, stripped (``text`` itself when it has none)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # every white space but " " is unprintable: a one-pass test in C
    if _COLLAPSIBLE.search(text) is None:
        return text  # no copy: most titles, venues and names are already collapsed
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


class _KeepTeX(Exception):
    """Math with structure (a root, a fraction, a grouped sub/superscript): shown as TeX."""


_MATH_GROUP = re.compile(r"(?<!\\)\{")
_FONT_BEFORE = re.compile(r"\\(?:" + "|".join(sorted(MATH_ARG)) + r")\s*$")


def _math(text: str) -> str:
    """Simple math (``$\\alpha$-helix``, ``$O(n^2)$``) to text; _KeepTeX for math whose groups
    carry meaning (``\\sqrt{..}``, ``x_{ij}``), _Unknown for the rest."""
    for group in _MATH_GROUP.finditer(text):
        if not _FONT_BEFORE.search(text, 0, group.start()):
            raise _KeepTeX
    out: list[str] = []
    for match in _MATH_TOKEN.finditer(text):
        word, symbol, plain = match.groups()
        if plain is not None:
            out.append(plain)
        elif word is not None:
            spaced = match.group().endswith((" ", "\t", "\n"))
            if word in MATH_WORDS or word in SYMBOL_WORDS:
                shown = MATH_WORDS[word] if word in MATH_WORDS else SYMBOL_WORDS[word]
                out.append(shown + " " if spaced and shown[-1:].isalpha() else shown)
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
            try:
                out.append(_math(math.group(1)))
            except _KeepTeX:
                out.append(math.group())
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


def _pylatexenc_worker() -> Generator[str, str, None]:
    """pylatexenc, run inside a generator of its own. Its parser keeps the end-of-stream
    exception it catches (a reference cycle through that exception's frames). Called from a
    reader's frame, the cycle would hold every caller's frame, and so the whole file being
    read, until the collector finds it. Here it holds only this generator's frame."""
    text = yield ""
    while True:
        escaped = re.sub(r"(?<!\\)%", r"\\%", text)  # "%" is literal in a BibTeX value
        try:
            decoded = _pylatexenc().latex_to_text(escaped)
        except Exception:  # pylatexenc fails on some malformed input: show the text, unbraced
            decoded = re.sub(r"\\([a-zA-Z]+)|[{}$]", lambda m: m.group(1) or "", text)
        text = yield decoded


_worker: list[Generator[str, str, None]] = []


def _slow_decode(text: str) -> str:
    """pylatexenc for what the fast decoder does not know; never raises."""
    if _worker:
        try:
            return _worker[0].send(text)
        except StopIteration:  # ended by an interrupt during an earlier decode
            pass
    worker = _pylatexenc_worker()
    next(worker)
    _worker[:] = [worker]
    return worker.send(text)


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
        pass  # pylatexenc is called outside the handler: its exceptions do not chain to ours
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

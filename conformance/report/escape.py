"""One escaping rule per output medium, for every value that came from an API (or a file we read).

Terminal/CI logs, markdown, HTML and XML each get one function here; every writer uses them, so a
ticket id carrying ``\\x1b[2J``, ``\\n::error::``, ``<img src=...>`` or a lone surrogate renders as
inert text everywhere. Rules shared by all media:

- control characters (C0 except newline where lines are allowed, DEL, C1), Unicode bidi overrides
  and lone surrogates are shown escaped (``\\x1b``, ``\\u202e``, ``\\ud800``);
- no line may begin with ``::`` (a CI workflow command): its first colon is shown as ``\\x3a``.
"""

from __future__ import annotations

import html as _html
import re
from urllib.parse import urlsplit

# C0 controls except \n, DEL and C1 controls, bidi overrides/isolates, lone surrogates.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_WORKFLOW_COMMAND = re.compile(r"^(\s*):(?=:)", re.MULTILINE)


def _code(ch: str) -> str:
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """Plain text safe for a terminal or CI log: controls escaped, no line starting with ``::``."""
    text = str(text)
    if one_line:
        text = text.replace("\r\n", "\n").replace("\n", "\\n")
    text = _UNSAFE.sub(lambda m: _code(m.group()), text)
    return _WORKFLOW_COMMAND.sub(lambda m: m.group(1) + "\\x3a", text)


terminal = visible


def html(text: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return _html.escape(visible(text), quote=True)


def xml(text: object) -> str:
    """Text for XML 1.0 (ElementTree escapes markup; this removes what XML forbids or a log misreads)."""
    return visible(text)


def markdown_cell(text: object, limit: int = 160) -> str:
    """One table cell: one line, as a code span, so no HTML, image, link or autolink renders."""
    line = " ".join(visible(text, one_line=True).split())
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    if not line:
        return ""
    line = line.replace("|", "\\|")  # GFM splits cells on | even inside code spans
    longest = max((len(m) for m in re.findall(r"`+", line)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {line} {fence}"


def markdown_inline(text: object) -> str:
    """Running markdown text (outside tables and code): markup characters backslash-escaped."""
    line = " ".join(visible(text, one_line=True).split())
    line = re.sub(r"([\\`*_\[\]()<>!#|~&{}:])", r"\\\1", line)
    return line


def markdown_block(text: object, lang: str = "") -> list[str]:
    """A fenced code block whose fence no content can close."""
    body = visible(text)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, body, fence]


def safe_link(url: object) -> str | None:
    """A URL that may go into ``href``: only http(s) with a host, else None (shown as text instead)."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or _UNSAFE.search(text) or any(
            c.isspace() for c in text):
        return None
    return text


def json_text(dumped: str) -> str:
    """JSON from ``json.dumps(..., ensure_ascii=False)`` with what a viewer could misrender (DEL, C1,
    bidi overrides, lone surrogates) written as ``\\uXXXX`` escapes: the same value, inert text."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def encodable(text: str) -> bytes:
    """UTF-8 bytes of any str: a lone surrogate becomes ``\\udXXX`` instead of failing the write
    (inside a JSON string that is the valid JSON escape of the same value)."""
    return text.encode("utf-8", "backslashreplace")


__all__ = ["visible", "terminal", "html", "xml", "markdown_cell", "markdown_inline", "markdown_block",
           "safe_link", "json_text", "encodable"]

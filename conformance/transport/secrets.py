"""Every spelling of a key an API might echo, replaced; and a decoding check that none is left.

``spellings`` lists the encodings (raw, URL-encoded with ``quote`` and ``quote_plus``, the Base64
Basic token with and without the ``:``, URL-safe Base64, each of those URL-encoded, and the
JSON-escaped form of each: a key with ``/`` is written ``\\/`` by PHP-style encoders).
``scrub`` replaces them, matching percent escapes in either case (``%2f`` as ``%2F``).
``still_contains`` is the last line of defence: it decodes a value (percent escapes, JSON string
escapes, Base64 runs) and says whether the key is still in it in any spelling (with ``near``, also
a near miss of it: what the suite's near-miss auth probes send).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from typing import Any, Iterable, Sequence
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from conformance.transport.credentials import NEAR_MIN, PREFIX_CUT as NEAR_CUT

MIN_KEY = 4  # replacing a 1-3 character "key" everywhere would mangle every body
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{6,}={0,2}")
_JSON_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|[\"\\/bfnrt])")


def _json_escaped(text: str) -> set[str]:
    dumped = json.dumps(text)[1:-1]
    return {dumped, dumped.replace("/", "\\/"), json.dumps(text, ensure_ascii=False)[1:-1].replace("/", "\\/")}


def spellings(key: str | None, extra: Iterable[str] = ()) -> list[str]:
    """The forms of ``key`` to replace, longest first (so a form inside another goes with it)."""
    if not key or len(key) < MIN_KEY:
        return []
    tokens = {key, f"{key}:"}
    encoded = set()
    for token in tokens:
        raw = token.encode()
        for b64 in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            encoded |= {b64, b64.rstrip("=")}
    forms = {key, *extra, *encoded}
    for form in list(forms):
        forms |= {quote(form, safe=""), quote(form), quote_plus(form), quote_plus(form, safe="/"),
                  quote(form, safe="").replace("%2F", "/")}
    for form in list(forms):  # listed as well (the pattern matches escapes in either case anyway)
        forms.add(_PERCENT.sub(lambda m: m.group(0).lower(), form))
    for form in list(forms):
        forms |= _json_escaped(form)
    for form in list(forms):  # as repr() shows a str (an error line quoting a body): backslashes doubled
        forms.add(form.replace("\\", "\\\\"))
    return sorted((f for f in forms if len(f) >= MIN_KEY), key=lambda f: (-len(f), f))


def pattern(forms: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for all forms; a percent escape matches in either case."""
    if not forms:
        return None
    parts = []
    for form in forms:
        pieces, last = [], 0
        for m in _PERCENT.finditer(form):
            pieces.append(re.escape(form[last:m.start()]))
            pieces.append("%(?i:" + m.group()[1:] + ")")
            last = m.end()
        pieces.append(re.escape(form[last:]))
        parts.append("".join(pieces))
    return re.compile("|".join(parts))


@functools.lru_cache(maxsize=16)
def cached_pattern(forms: tuple[str, ...]) -> re.Pattern[str] | None:
    return pattern(forms)


def scrub(value: Any, regex: re.Pattern[str] | None, placeholder: str) -> Any:
    """``value`` (str, bytes, or lists/tuples/dicts of them) with every form replaced."""
    if regex is None:
        return value
    if isinstance(value, str):
        return regex.sub(placeholder, value)
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")  # byte-preserving: the key is ASCII in every form
        scrubbed = regex.sub(placeholder, text)
        return value if scrubbed == text else scrubbed.encode("latin-1")
    if isinstance(value, list):
        return [scrub(v, regex, placeholder) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub(v, regex, placeholder) for v in value)
    if isinstance(value, dict):
        return {scrub(k, regex, placeholder): scrub(v, regex, placeholder) for k, v in value.items()}
    return value


def _unescape_json(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] == "u":
            return chr(int(code[1:], 16))
        return {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}.get(code, code)

    return _JSON_ESCAPE.sub(one, text)


def _decodings(text: str) -> set[str]:
    """``text`` and what it reads as after undoing percent and JSON escapes (nested up to three times)."""
    seen = {text}
    frontier = {text}
    for _ in range(3):
        nxt = set()
        for t in frontier:
            decoded = []
            if "%" in t:
                decoded.append(unquote(t))
            if "%" in t or "+" in t:
                decoded.append(unquote_plus(t))
            if "\\" in t:
                decoded.append(_unescape_json(t))
            for d in decoded:
                if d not in seen:
                    nxt.add(d)
        seen |= nxt
        frontier = nxt
        if not frontier:
            break
    return seen


def _base64_payloads(text: str, key_length: int) -> Iterable[str]:
    """Every run of Base64 characters long enough to hold the key, decoded from each of the four
    alignments (a token glued to other letters starts mid-run), in the standard and the URL-safe
    alphabet."""
    shortest = -(-key_length * 4 // 3)
    for m in _BASE64_RUN.finditer(text):
        if len(m.group()) < shortest:
            continue
        run = m.group().rstrip("=")
        for shift in range(4):
            candidate = run[shift:]
            candidate = candidate[: len(candidate) - len(candidate) % 4] if len(candidate) % 4 == 1 else candidate
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    yield decode(candidate + "=" * (-len(candidate) % 4)).decode("latin-1")
                except (binascii.Error, ValueError):
                    continue


def near_needle(key: str) -> str | None:
    """What every near miss of ``key`` shares (and the key itself): its first characters but the last
    ``NEAR_CUT``, compared without case. None when that is too short to be told from ordinary text."""
    needle = key[:-NEAR_CUT].lower()
    return needle if len(needle) >= NEAR_MIN else None


def still_contains(value: Any, key: str | None, near: bool = False) -> bool:
    """Whether ``key`` survives in ``value`` (nested str/bytes/lists/dicts) once decoded in any way;
    with ``near``, also a near miss of it (a prefix of all but its last 4 characters, any case: the
    key minus its last character, plus one, with its case swapped)."""
    if not key or len(key) < MIN_KEY:
        return False
    needle = near_needle(key) if near else None
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        for text in _decodings(value):
            if key in text or (needle and needle in text.lower()):
                return True
            for payload in _base64_payloads(text, len(needle) if needle else len(key)):
                if key in payload or (needle and needle in payload.lower()):
                    return True
        return False
    if isinstance(value, dict):
        return any(still_contains(k, key, near) or still_contains(v, key, near) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(still_contains(v, key, near) for v in value)
    return False

"""Near misses of the real key: values one slip away from it, and the key in a scheme the vendor
does not use. Used to prove that an API compares the whole key, exactly, in the documented scheme.

The values are derived here from the key and never leave the transport: an ``Exchange`` records
only the kind (``auth="near-prefix"``, ...), a reproduction names the environment variable in a
shell expression (``${OPINE_API_KEY%?}`` for "the key minus its last character"), cassettes tag
the header by kind, and every near-miss value is among the spellings scrubbed from cassettes and
reports (``client.secret_forms``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from conformance.profiles.base import AuthScheme

PREFIX_CUT = 4  # the prefix probe is the key minus its last 4 characters
PLUS_ONE = "x"  # the character the plus-one probe appends
NEAR_MIN = 8  # near-miss values shorter than this are not scrubbed (they would mangle unrelated text)


@dataclass(frozen=True)
class NearMiss:
    kind: str  # the auth tag an Exchange records
    what: str  # how messages name it
    scheme: bool = False  # True: the real key in a scheme the vendor does not use


_VALUES = (
    NearMiss("near-prefix", f"a prefix of the key (the key minus its last {PREFIX_CUT} characters)"),
    NearMiss("near-minus-last", "the key minus its last character"),
    NearMiss("near-plus-one", f"the key plus one character ({PLUS_ONE!r})"),
    NearMiss("near-case", "the key with the case of its letters swapped"),
    NearMiss("near-empty", "an empty key"),
)
_SCHEMES = {
    "header": (NearMiss("scheme-bearer", "the key as a Bearer token (Authorization: Bearer)", True),
               NearMiss("scheme-basic", "the key as HTTP Basic user name (Authorization: Basic)", True)),
    "basic-user": (NearMiss("scheme-bearer", "the key as a Bearer token (Authorization: Bearer)", True),
                   NearMiss("scheme-password", "the key as HTTP Basic password instead of the user name", True)),
}


def near_misses(scheme: AuthScheme) -> tuple[NearMiss, ...]:
    """Every near miss the suite presents for ``scheme``: the values first, then the other schemes."""
    return (*_VALUES, *_SCHEMES.get(scheme.kind, ()))


def is_near_miss(auth: str) -> bool:
    return auth.startswith(("near-", "scheme-"))


def near_value(auth: str, key: str) -> str | None:
    """The value a value-kind near miss presents (None for the scheme kinds)."""
    return {
        "near-prefix": key[:-PREFIX_CUT] if len(key) > PREFIX_CUT else key[:1],
        "near-minus-last": key[:-1],
        "near-plus-one": key + PLUS_ONE,
        "near-case": key.swapcase(),
        "near-empty": "",
    }.get(auth)


def differs_from_key(auth: str, key: str) -> bool:
    """A case swap of a key without letters is the key itself: that probe would prove nothing."""
    value = near_value(auth, key)
    return value is None or value != key


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def headers(auth: str, scheme: AuthScheme, key: str) -> dict[str, str]:
    """The request headers presenting near miss ``auth`` of ``key``."""
    value = near_value(auth, key)
    if value is not None:
        return scheme.headers(value)
    if auth == "scheme-bearer":
        return {"Authorization": f"Bearer {key}"}
    if auth == "scheme-basic":
        return {"Authorization": _basic(key, "")}
    if auth == "scheme-password":
        return {"Authorization": _basic("", key)}
    raise ValueError(f"unknown near miss {auth!r}")


def secret_values(key: str) -> list[str]:
    """What near misses carry besides the key's own spellings: each near value, and the password token."""
    values = [v for n in _VALUES if (v := near_value(n.kind, key))]
    return [*values, base64.b64encode(f":{key}".encode()).decode()]


def curl_args(auth: str, scheme: AuthScheme, env: str) -> str:
    """curl arguments presenting near miss ``auth`` with the key read from ``$env`` (never the key)."""
    expressions = {
        "near-prefix": "${%s%s}" % (env, "%" + "?" * PREFIX_CUT),
        "near-minus-last": "${%s%%?}" % env,
        "near-plus-one": "${%s}%s" % (env, PLUS_ONE),
        "near-case": '$(printf %%s "$%s" | tr a-zA-Z A-Za-z)' % env,
    }
    if auth in expressions:
        return scheme.curl_args(expressions[auth])
    if auth == "near-empty":
        return f'-H "{scheme.header};"' if scheme.kind == "header" else '-u ":"'
    if auth == "scheme-bearer":
        return f'-H "Authorization: Bearer ${env}"'
    if auth == "scheme-basic":
        return f'-u "${env}:"'
    if auth == "scheme-password":
        return f'-u ":${env}"'
    raise ValueError(f"unknown near miss {auth!r}")

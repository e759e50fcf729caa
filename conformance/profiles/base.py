"""The shape of a vendor profile: everything in which the two APIs differ, in one frozen place.

Checks read a profile and never branch on a vendor's name; a check that needs a feature asks for a
capability (``"cursor-pagination"``, ``"created-filters"``, ...) and the engine skips it elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

from conformance.specs import SPECS  # noqa: F401 (re-exported to the profiles) shipped inside the package, read via importlib.resources


#: Every capability a profile can grant and a check can require; "writes" is granted per run
#: (--allow-writes), not by a profile. A name outside this set is a typo: registration refuses it.
CAPABILITIES = frozenset({"list", "create", "update", "retrieve", "offset-pagination", "cursor-pagination",
                          "created-filters", "location-filter", "search", "writes", "enums"})


@dataclass(frozen=True)
class AuthScheme:
    """How a key is presented. ``header``: ``<header>: KEY``; ``basic-user``: Basic with KEY as user, empty password."""

    kind: Literal["header", "basic-user"]
    header: str = ""

    def headers(self, key: str) -> dict[str, str]:
        if self.kind == "header":
            return {self.header: key}
        import base64

        token = base64.b64encode(f"{key}:".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def curl_args(self, key_expr: str) -> str:
        """curl arguments presenting ``key_expr`` (an environment-variable reference or a dummy literal)."""
        if self.kind == "header":
            return f'-H "{self.header}: {key_expr}"'
        return f'-u "{key_expr}:"'

    @property
    def secret_headers(self) -> tuple[str, ...]:
        return (self.header,) if self.kind == "header" else ("Authorization",)


@dataclass(frozen=True)
class OffsetPaging:
    """Offset lists; every value is stated in the vendor's profile (none is assumed here)."""

    limit: str
    offset: str
    items: str
    total: str
    default_limit: int
    max_limit: int


@dataclass(frozen=True)
class CursorPaging:
    """Cursor lists; every value is stated in the vendor's profile (none is assumed here)."""

    limit: str
    after: str
    before: str
    items: str
    has_more: str
    object_field: str
    object_value: str
    default_limit: int
    max_limit: int


@dataclass(frozen=True)
class CreatedFilters:
    """Bracketed range filters on the creation instant, e.g. ``created[gt]``."""

    field: str  # the ticket field holding the creation instant
    params: Mapping[str, str]  # operator ("gt", "gte", "lt", "lte") -> query parameter name


@dataclass(frozen=True)
class EqualityFilter:
    param: str
    field: str


@dataclass(frozen=True)
class SearchFilter:
    """A text filter on one field, applied after the page is fetched (post hoc) when ``post_hoc``."""

    param: str
    field: str
    post_hoc: bool


@dataclass(frozen=True)
class Writes:
    """What the write endpoints accept (Opine)."""

    create: bool
    update_method: str
    required_on_create: tuple[str, ...]
    not_nullable: tuple[str, ...]  # may be sent, never as null
    nullable: tuple[str, ...]  # null clears, absent keeps
    title_field: str
    title_length: tuple[int, int]
    state_field: str
    closed_state: str
    closed_at_field: str
    updated_at_field: str
    date_fields: tuple[str, ...]  # request fields that take a date-time
    deals_field: str  # request field that links deals
    linked_deals_field: str  # response field listing linked deals
    deal_sum_field: str
    marker: str = "[conformance]"  # title prefix of tickets this suite creates on a live API


@dataclass(frozen=True)
class ErrorDocs:
    """What the vendor documents about error answers; whatever it leaves open, every reasonable answer passes."""

    media_type: str  # every answer, errors included, is of this media type (a suffix "+json" counts too)
    validation_fields: tuple[str, ...]  # keys of the documented validation error body ("" = none documented)
    issue_fields: tuple[str, ...]  # keys each validation issue carries
    attributes: tuple[str, ...]  # documented error attributes, at the top level or under ``envelope``
    envelope: str  # the key the attributes may sit under ("" = top level only)
    bare_statuses: tuple[int, ...]  # statuses a gateway may answer before the API: empty or plain-text bodies pass


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    spec: Path
    key_env: str
    version_prefix: str  # "/v1" or "/next": part of --base-url
    auth: AuthScheme
    paging: OffsetPaging | CursorPaging
    collection: str  # the list path under the version prefix
    item: str  # one ticket's path, "{id}" standing for its id
    id_field: str
    created_field: str
    operations: frozenset[str] = frozenset()  # "list", "create", "update", "retrieve"
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # response field path -> values
    created_filters: CreatedFilters | None = None
    location: EqualityFilter | None = None
    search: SearchFilter | None = None
    writes: Writes | None = None
    errors: ErrorDocs | None = None  # None: nothing documented, error bodies are not judged
    reference_module: str = ""  # the in-process reference server, for --target reference
    reference_key: str = ""  # the key that reference server accepts by default
    documented: Mapping[str, str] = field(default_factory=dict)  # fact -> source tag
    unverified: Mapping[str, str] = field(default_factory=dict)  # guess -> why it is a guess

    @property
    def capabilities(self) -> frozenset[str]:
        caps = set(self.operations)
        caps.add("offset-pagination" if isinstance(self.paging, OffsetPaging) else "cursor-pagination")
        if self.created_filters:
            caps.add("created-filters")
        if self.location:
            caps.add("location-filter")
        if self.search:
            caps.add("search")
        if self.writes:
            caps.add("writes")
        if self.enums:
            caps.add("enums")
        return frozenset(caps)

    def curl_auth(self) -> str:
        return self.auth.curl_args(f"${self.key_env}")

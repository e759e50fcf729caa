"""The shape of a vendor profile: everything in which the two APIs differ, in one frozen place.

Checks read a profile and never branch on a vendor's name; a check that needs a feature asks for a
capability (``"cursor-pagination"``, ``"created-filters"``, ...) and the engine skips it elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping

from conformance.model.exchange import BARE_ARRAY, HEADER_TOTAL
from conformance.specs import SPECS  # noqa: F401 (re-exported to the profiles) shipped inside the package, read via importlib.resources


#: Every capability a profile can grant and a check can require; "writes" is granted per run
#: (--allow-writes), not by a profile. A name outside this set is a typo: registration refuses it.
CAPABILITIES = frozenset({"list", "create", "update", "retrieve", "offset-pagination", "cursor-pagination",
                          "created-filters", "location-filter", "search", "writes", "enums",
                          "documented-order"})


#: The page size asked for where a profile states no maximum (``max_limit: null``): walks need some size.
UNKNOWN_MAX_PAGE = 100


@dataclass(frozen=True)
class AuthScheme:
    """How a key is presented. ``header``: ``<header>: KEY``; ``basic-user``: Basic with KEY as user, empty
    password; ``bearer``: ``Authorization: Bearer KEY``; ``none``: the API takes no key."""

    kind: Literal["none", "header", "basic-user", "bearer"]
    header: str = ""

    def headers(self, key: str) -> dict[str, str]:
        if self.kind == "none":
            return {}
        if self.kind == "header":
            return {self.header: key}
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {key}"}
        import base64

        token = base64.b64encode(f"{key}:".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def curl_args(self, key_expr: str) -> str:
        """curl arguments presenting ``key_expr`` (an environment-variable reference or a dummy literal)."""
        if self.kind == "none":
            return ""
        if self.kind == "header":
            return f'-H "{self.header}: {key_expr}"'
        if self.kind == "bearer":
            return f'-H "Authorization: Bearer {key_expr}"'
        return f'-u "{key_expr}:"'

    @property
    def secret_headers(self) -> tuple[str, ...]:
        if self.kind == "none":
            return ()
        return (self.header,) if self.kind == "header" else ("Authorization",)


@dataclass(frozen=True)
class OffsetPaging:
    """Offset lists; every value is stated in the vendor's profile (none is assumed here).

    ``items`` None: the body is a bare JSON array. The total is in the body field ``total`` or in the
    response header ``total_header`` (or unknown: both None). An unknown limit is None: its rules are not checked.
    """

    limit: str
    offset: str
    items: str | None
    total: str | None
    default_limit: int | None
    max_limit: int | None
    total_header: str | None = None
    echoes: bool = True  # the body echoes the limit and offset applied, under the parameter names
    # Offset lists' docs rarely fix an order (Opine's do not): "unspecified" by default, so the order is
    # not judged; "oldest-first" / "newest-first" (created ascending / descending) when the docs say so.
    order: Literal["unspecified", "oldest-first", "newest-first"] = "unspecified"

    @property
    def largest_limit(self) -> int:
        """The largest page size the suite asks for: the documented maximum, else (unknown) 100 or the default."""
        return self.max_limit or max(self.default_limit or 0, UNKNOWN_MAX_PAGE)

    @property
    def items_key(self) -> str:
        """Where ``model.exchange.listing`` puts the items: the field, or ``BARE_ARRAY``."""
        return self.items if self.items is not None else BARE_ARRAY

    @property
    def total_key(self) -> str | None:
        """Where ``listing`` puts the total: the field, "<header> header", or None (no total)."""
        if self.total is not None:
            return self.total
        return f"{self.total_header}{HEADER_TOTAL}" if self.total_header else None


@dataclass(frozen=True)
class CursorPaging:
    """Cursor lists; every value is stated in the vendor's profile (none is assumed here).

    ``before`` None: the API has no backward cursor. ``next_cursor`` None: the cursor is the id of a
    page's last item; else the body field holding an opaque cursor for the next page.
    """

    limit: str
    after: str
    before: str | None
    items: str
    has_more: str
    object_field: str | None
    object_value: str | None
    default_limit: int | None
    max_limit: int | None
    next_cursor: str | None = None
    # "newest-first": documented (Copper, Stripe); "oldest-first": documented the other way (judged by
    # list_follows_documented_order); "unspecified": the docs fix no order, so the order is not judged.
    # Either way but newest-first, list_is_newest_first does not apply and filtered results are judged as sets.
    order: Literal["newest-first", "oldest-first", "unspecified"] = "newest-first"

    @property
    def largest_limit(self) -> int:
        """The largest page size the suite asks for: the documented maximum, else (unknown) 100 or the default."""
        return self.max_limit or max(self.default_limit or 0, UNKNOWN_MAX_PAGE)

    @property
    def items_key(self) -> str:
        return self.items

    @property
    def total_key(self) -> None:
        return None  # cursor lists carry no total


@dataclass(frozen=True)
class CreatedFilters:
    """Range filters on the creation instant, e.g. ``created[gt]``; each operator is optional."""

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
    """What the write endpoints accept. Only ``title_field`` is always needed (it carries the suite's
    marker); the ticket-shaped fields below it are options, "" (or None/()) where the API has no such
    field: the checks reading one are then not applicable (OPTIONS ``writes.*``)."""

    create: bool
    update_method: Literal["PUT", "PATCH", "POST"]
    required_on_create: tuple[str, ...]
    not_nullable: tuple[str, ...]  # may be sent, never as null
    nullable: tuple[str, ...]  # null clears, absent keeps
    # The text field that carries the suite's marker on tickets it creates, and that harmless writes set
    # (a ticket's title; a Stripe charge's description).
    title_field: str
    title_length: tuple[int, int] | None = None  # None: not documented, title_length_is_enforced does not apply
    state_field: str = ""
    closed_state: str = ""
    closed_at_field: str = ""
    updated_at_field: str = ""
    date_fields: tuple[str, ...] = ()  # request fields that take a date-time
    deals_field: str = ""  # request field that links deals
    linked_deals_field: str = ""  # response field listing linked deals
    deal_sum_field: str = ""
    marker: str = "[conformance]"  # title prefix of tickets this suite creates on a live API
    body_encoding: Literal["json", "form"] = "json"  # form: application/x-www-form-urlencoded, nested as a[k]
    clear_value: Any = None  # what an update sends to clear a nullable field: None (JSON null) or ""
    # Values every create sends that the suite does not test (a charge's amount, currency and source).
    fixed_on_create: Mapping[str, Any] = field(default_factory=dict)


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
    key_env: str  # the environment variable holding the key ("" when auth is none)
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
    timestamp_formats: tuple[str, ...] = ("iso",)  # how created_field is written: iso, unix-s, unix-ms
    levels: Mapping[str, str] = field(default_factory=dict)  # check name -> "MUST"/"SHOULD" override
    source: str = ""  # the profile file it was read from (for messages)

    @property
    def capabilities(self) -> frozenset[str]:
        caps = set(self.operations)
        caps.add("offset-pagination" if isinstance(self.paging, OffsetPaging) else "cursor-pagination")
        if self.paging.order == "oldest-first" or (isinstance(self.paging, OffsetPaging)
                                                   and self.paging.order == "newest-first"):
            # the docs fix an order that list_is_newest_first (cursor lists, newest first) does not judge
            caps.add("documented-order")
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


def writable_enum_fields(profile: Profile) -> list[str]:
    """Enum fields the profile's writes name (required on create, then not nullable, then nullable): an
    enum field with a default need not be required on create to be written."""
    if profile.writes is None:
        return []
    named = [*profile.writes.required_on_create, *profile.writes.not_nullable, *profile.writes.nullable]
    return [f for f in dict.fromkeys(named) if f in profile.enums]


def _paging(kind: type, test: Callable[[Any], bool]) -> Callable[[Profile], bool]:
    return lambda p: isinstance(p.paging, kind) and test(p.paging)


def _created(op: str) -> Callable[[Profile], bool]:
    return lambda p: bool(p.created_filters and p.created_filters.params.get(op))


#: Profile options a check may need (``needs=`` at registration; ``NEEDS`` in checks/registry.py): a
#: profile without one gets those checks reported "not applicable", naming the option. Name -> whether
#: the profile sets it.
OPTIONS: Mapping[str, Callable[[Profile], bool]] = {
    "auth.key": lambda p: p.auth.kind != "none",
    "paging.before": _paging(CursorPaging, lambda g: g.before is not None),
    "paging.default_limit": lambda p: p.paging.default_limit is not None,
    "paging.max_limit": lambda p: p.paging.max_limit is not None,
    "paging.total": _paging(OffsetPaging, lambda g: g.total is not None or g.total_header is not None),
    "paging.echoes": _paging(OffsetPaging, lambda g: g.echoes and g.items is not None),
    "paging.id_cursor": _paging(CursorPaging, lambda g: g.next_cursor is None),
    "paging.newest_first": _paging(CursorPaging, lambda g: g.order == "newest-first"),
    "created_filters.gt": _created("gt"),
    "created_filters.gte": _created("gte"),
    "created_filters.lt": _created("lt"),
    "created_filters.lte": _created("lte"),
    "created_filters": lambda p: any(_created(op)(p) for op in ("gt", "gte", "lt", "lte")),
    "created_filters.range": lambda p: (_created("gt")(p) or _created("gte")(p)) and (_created("lt")(p) or _created("lte")(p)),
    "timestamp_formats.iso": lambda p: "iso" in p.timestamp_formats,
    "errors": lambda p: p.errors is not None,
    # The nullable-update oracles model JSON null as the value that clears a field; an API clearing with
    # "" (writes.clear_value, the form-encoded way) is not modelled: those checks do not apply.
    "writes.clear_null": lambda p: p.writes is not None and p.writes.clear_value is None,
    # Ticket-shaped write fields an API may not have (a Stripe charge has no state, deals or updatedAt).
    "writes.title_length": lambda p: p.writes is not None and p.writes.title_length is not None,
    "writes.state": lambda p: bool(p.writes and p.writes.state_field and p.writes.closed_state
                                   and p.writes.closed_at_field),
    "writes.updated_at": lambda p: bool(p.writes and p.writes.updated_at_field),
    "writes.dates": lambda p: bool(p.writes and p.writes.date_fields),
    "writes.deals": lambda p: bool(p.writes and p.writes.deals_field and p.writes.linked_deals_field),
    "writes.deal_sum": lambda p: bool(p.writes and p.writes.deals_field and p.writes.linked_deals_field
                                      and p.writes.deal_sum_field),
    # Enum fields a create carries (the enum checks write documented and unknown values to them).
    "writes.enums": lambda p: bool(writable_enum_fields(p)),
    # JSON write bodies: the negative body checks send wrong JSON types, null and non-JSON bodies, none of
    # which a form body can express (every form value is a string; null and "" are one empty value).
    # Fields a create must carry and that are never null (required_fields_cannot_be_null_on_create).
    "writes.required": lambda p: bool(p.writes and set(p.writes.required_on_create) & set(p.writes.not_nullable)),
}


def missing_options(profile: Profile, needs: Iterable[str]) -> list[str]:
    """The options of ``needs`` that ``profile`` does not set, in order."""
    return [name for name in needs if not OPTIONS[name](profile)]

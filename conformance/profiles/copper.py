"""Copper (usecopper.com): cursor pagination newest first, created range filters, post-hoc search."""

from conformance.profiles.base import (SPECS, AuthScheme, CreatedFilters, CursorPaging, EqualityFilter, ErrorDocs,
                                       Profile, SearchFilter)

COPPER = Profile(
    name="copper",
    title="Copper Tickets API",
    spec=SPECS / "copper.openapi.yaml",
    key_env="COPPER_API_KEY",
    version_prefix="/next",
    auth=AuthScheme(kind="basic-user"),
    paging=CursorPaging(limit="limit", after="starting_after", before="ending_before", items="data",
                        has_more="has_more", object_field="object", object_value="list", default_limit=10,
                        max_limit=100),
    collection="/tickets",
    item="/tickets/{id}",
    id_field="id",
    created_field="created",
    operations=frozenset({"list", "retrieve"}),
    created_filters=CreatedFilters(
        field="created",
        params={"gt": "created[gt]", "gte": "created[gte]", "lt": "created[lt]", "lte": "created[lte]"},
    ),
    location=EqualityFilter(param="location", field="location"),
    search=SearchFilter(param="search_query", field="reference", post_hoc=True),
    # C-INTRO: responses are JSON; C-ERR: error attributes type, code, message, param (placement,
    # top level or under "error", undocumented; no validation body documented).
    errors=ErrorDocs(media_type="application/json", validation_fields=(), issue_fields=(),
                     attributes=("type", "code", "message", "param"), envelope="error",
                     bare_statuses=(401, 403, 429)),
    reference_module="conformance.reference.copper",
    reference_key="sk_test_reference",
    documented={
        "limit 1..100, default 10; starting_after/ending_before mutually exclusive": "C-PAG",
        "lists newest first; has_more": "C-PAG",
        "created[gte|gt|lte|lt] ISO 8601": "C-TK",
        "search_query is a post-hoc filter on reference": "C-TK",
        "HTTP Basic, key as user name": "C-AUTH",
    },
    unverified={
        "created format in responses": "ISO string or unix seconds: both accepted (C-TK)",
        "tie order of equal created": "any order, as long as it is consistent",
        "both cursors at once": "docs forbid it but name no status: SHOULD level",
        "search matching rule": "exact, prefix or substring, any case: all accepted",
        "limit over 100": "rejected or clamped: both accepted",
    },
)

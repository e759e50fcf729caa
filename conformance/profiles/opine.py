"""Opine (docs.tryopine.com): offset pagination, JSON writes, nullable partial updates."""

from conformance.profiles.base import SPECS, AuthScheme, OffsetPaging, Profile, Writes

OPINE = Profile(
    name="opine",
    title="Opine Tickets API",
    spec=SPECS / "opine.openapi.yaml",
    key_env="OPINE_API_KEY",
    version_prefix="/v1",
    auth=AuthScheme(kind="header", header="X-API-Key"),
    paging=OffsetPaging(),
    created_field="createdAt",
    operations=frozenset({"list", "create", "update"}),
    enums={
        "type": ("BUG", "FEATURE", "CUSTOM_1", "CUSTOM_2", "CUSTOM_3", "CUSTOM_4", "CUSTOM_5"),
        "state": ("OPEN", "PRIORITIZING", "ROADMAP", "DEFERRED", "IN_PROGRESS", "CLOSED"),
        "linkedDeals[].priority": ("BLOCKER", "IMPORTANT", "NICE_TO_HAVE"),
    },
    writes=Writes(
        create=True,
        update_method="PUT",
        required_on_create=("title", "type", "state"),
        not_nullable=("title", "type", "state"),
        nullable=("description", "targetDueDate", "labels", "vendorEntityUrl"),
        title_field="title",
        title_length=(1, 256),
        state_field="state",
        closed_state="CLOSED",
        closed_at_field="closedAt",
        updated_at_field="updatedAt",
        date_fields=("targetDueDate",),
        deals_field="deals",
        linked_deals_field="linkedDeals",
        deal_sum_field="dealAmountSum",
    ),
    reference_module="conformance.reference.opine",
    reference_key="opine-reference-key",
    documented={
        "limit 1..1000, default 100; offset default 0": "O-TK",
        "envelope items/limit/offset/totalCount": "O-TK",
        "X-API-Key header": "O-OV",
        "PUT: null clears description/targetDueDate/labels/vendorEntityUrl": "SEED-O",
        "title length 1..256": "O-TK",
    },
    unverified={
        "enum lists": "S-MCP (third-party client); vendor pages list no values",
        "error statuses (400/401/404)": "not documented; any 4xx is accepted",
        "sort order of lists": "not documented; only self-consistency is checked",
        "closedAt lifecycle": "implied, not stated: SHOULD level",
        "labels in responses": "not in the documented response; checked only where returned",
    },
)

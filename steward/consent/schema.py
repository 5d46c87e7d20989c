"""The published JSON Schema of a customer export, and a small validator for it.

The schema is defined here and published at docs/schema/customer-export.schema.json; a
test keeps the two identical (write `schema_json()` to the file after a change — the
command is in docs/privacy.md).

`schema_errors` checks a document against the subset of JSON Schema (2020-12) the
schema uses — type, properties, required, additionalProperties, items, enum, const,
minLength, minimum, format date-time/date and $ref to $defs — so an import can refuse a
bad document with every reason (I7) without a dependency. The schema itself is standard:
any JSON Schema validator reads it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from steward.timeline.models import TimelineEvent

from .vocabulary import DataCategory, LawfulBasis, Purpose

FORMAT = "steward-customer-export"
FORMAT_VERSION = "1.0"
SCHEMA_ID = "https://steward.example.org/schema/customer-export-1.0.json"


def _obj(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


STR = {"type": "string"}
TEXT_OR_NULL = {"type": ["string", "null"]}
ID = {"type": "integer", "minimum": 1}
ID_OR_NULL = {"type": ["integer", "null"], "minimum": 1}
WHEN = {"type": "string", "format": "date-time"}
WHEN_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
BOOL = {"type": "boolean"}

EXPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Steward customer export",
    "description": "Everything a Steward installation holds about one customer (GDPR Art. 15 and 20). "
    "Times are RFC 3339 in UTC; lists are oldest first.",
    **_obj(
        {
            "$schema": STR,
            "format": {"const": FORMAT},
            "format_version": {"const": FORMAT_VERSION},
            "exported_at": WHEN,
            "exported_by": STR,
            "customer": {"$ref": "#/$defs/customer"},
            "contact_points": {"type": "array", "items": {"$ref": "#/$defs/contact_point"}},
            "timeline": {"type": "array", "items": {"$ref": "#/$defs/event"}},
            "requests": {"type": "array", "items": {"$ref": "#/$defs/request"}},
            "attachments": {"type": "array", "items": {"$ref": "#/$defs/attachment"}},
            "service_agreements": {"type": "array", "items": {"$ref": "#/$defs/agreement"}},
            "care": {"type": "array", "items": {"$ref": "#/$defs/care"}},
            "visits": {"type": "array", "items": {"$ref": "#/$defs/visit"}},
            "grants": {"type": "array", "items": {"$ref": "#/$defs/grant"}},
            "receipts": {"type": "array", "items": {"$ref": "#/$defs/receipt"}},
            "access_log": {"type": "array", "items": {"$ref": "#/$defs/access"}},
            "privacy_requests": {"type": "array", "items": {"$ref": "#/$defs/privacy_request"}},
        },
        # Exports made before files could be attached have no "attachments"; before
        # care visits, no "care" or "visits".
        optional=("$schema", "attachments", "care", "visits"),
    ),
    "$defs": {
        "customer": _obj(
            {
                "id": ID,
                "given_name": {"type": "string", "minLength": 1},
                "family_name": STR,
                "preferred_name": STR,
                "date_of_birth": {"type": ["string", "null"], "format": "date"},
                "language": {"type": "string", "minLength": 1},
                "accessibility_needs": STR,
                "what_matters_to_me": STR,
                "is_vulnerable": BOOL,
                "created_at": WHEN,
            }
        ),
        "contact_point": _obj(
            {
                "kind": {"enum": ["email", "phone", "address"]},
                "value": {"type": "string", "minLength": 1},
                "postcode": STR,
                "is_preferred": BOOL,
                "created_at": WHEN,
            }
        ),
        "event": _obj(
            {
                "id": ID,
                "occurred_at": WHEN,
                "kind": {"enum": list(TimelineEvent.Kind.values)},
                "kind_label": STR,
                "channel": {"enum": list(TimelineEvent.Channel.values)},
                "organisation": STR,
                "actor_name": STR,
                "summary": STR,
                "body": STR,
                "internal": BOOL,
                "request": ID_OR_NULL,
                "corrects": ID_OR_NULL,
                "data": {"type": "object"},
            }
        ),
        "request": _obj(
            {
                "id": ID,
                "organisation": STR,
                "need": STR,
                "team": STR,
                "owner": TEXT_OR_NULL,
                "status": STR,
                "channel": STR,
                "subject": STR,
                "description": STR,
                "created_at": WHEN,
                "resolved_at": WHEN_OR_NULL,
                "closed_at": WHEN_OR_NULL,
            }
        ),
        "attachment": _obj(
            {
                "id": ID,
                "request": ID,
                "message": ID_OR_NULL,
                "added_by": {"enum": ["customer", "staff", "trusted_person"]},
                "added_by_name": STR,
                "filename": STR,
                "content_type": STR,
                "size": {"type": "integer", "minimum": 0},
                "sha256": STR,
                "added_at": WHEN,
                "erased_at": WHEN_OR_NULL,
                "download": TEXT_OR_NULL,
            }
        ),
        "agreement": _obj(
            {
                "id": ID,
                "provider": STR,
                "commissioner": TEXT_OR_NULL,
                "coordinator": STR,
                "service": STR,
                "status": {"enum": ["active", "ended"]},
                "started_at": WHEN,
                "ended_at": WHEN_OR_NULL,
                "end_reason": STR,
            }
        ),
        "care": _obj(
            {
                "id": ID,
                "service_agreement": ID,
                "provider": STR,
                "address": STR,
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
                "access_notes": STR,
                "preferred_carers": {"type": "array", "items": STR},
                "excluded_carers": {"type": "array", "items": STR},
                "regular_visits": {
                    "type": "array",
                    "items": _obj(
                        {
                            "id": ID,
                            "label": STR,
                            "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                            "duration_minutes": {"type": "integer", "minimum": 1},
                            "skills": {"type": "array", "items": STR},
                            "carers_needed": {"type": "integer", "minimum": 1},
                            "preferred_from": STR,
                            "preferred_to": STR,
                            "acceptable_from": STR,
                            "acceptable_to": STR,
                            "valid_from": {"type": "string", "format": "date"},
                            "valid_until": {"type": ["string", "null"], "format": "date"},
                            "active": BOOL,
                        }
                    ),
                },
            }
        ),
        "visit": _obj(
            {
                "id": ID,
                "day": {"type": "string", "format": "date"},
                "label": STR,
                "status": STR,
                "preferred_start": WHEN,
                "preferred_end": WHEN,
                "planned_start": WHEN_OR_NULL,
                "unplaced_reason": TEXT_OR_NULL,
                "carers": {
                    "type": "array",
                    "items": _obj(
                        {"name": STR, "planned_start": WHEN, "arrived_at": WHEN_OR_NULL, "left_at": WHEN_OR_NULL}
                    ),
                },
            }
        ),
        "grant": _obj(
            {
                "id": ID,
                "organisation": STR,
                "team": TEXT_OR_NULL,
                "purpose": {"enum": list(Purpose.values)},
                "purpose_label": STR,
                "dpv_purpose": STR,
                "categories": {
                    "type": "array",
                    "items": _obj({"code": {"enum": list(DataCategory.values)}, "label": STR, "dpv": STR}),
                },
                "lawful_basis": {"enum": list(LawfulBasis.values)},
                "lawful_basis_label": STR,
                "dpv_lawful_basis": STR,
                "reason": STR,
                "source": STR,
                "starts_at": WHEN,
                "ends_at": WHEN_OR_NULL,
                "revoked_at": WHEN_OR_NULL,
                "revoked_reason": STR,
            }
        ),
        "receipt": _obj(
            {
                "id": ID,
                "grant": ID,
                "action": {"enum": ["granted", "revoked"]},
                "by": STR,
                "wording": STR,
                "at": WHEN,
            }
        ),
        "access": _obj(
            {
                "seq": ID,
                "at": WHEN,
                "actor_kind": {"enum": ["staff", "trusted"]},
                "staff_name": STR,
                "organisation": STR,
                # Empty for a trusted person, who reads as the customer's, not for a purpose.
                "purpose": {"enum": [*Purpose.values, ""]},
                "purpose_label": STR,
                "categories": {"type": "array", "items": {"enum": list(DataCategory.values)}},
                "resource": STR,
                "channel": STR,
                "outcome": {"enum": ["allowed", "refused", "break_glass"]},
                "reason": STR,
                "hash": STR,
            },
            optional=("actor_kind",),
        ),
        "privacy_request": _obj(
            {
                "id": ID,
                "organisation": STR,
                "kind": {"enum": ["export", "erasure"]},
                "status": {"enum": ["received", "in_progress", "done", "refused"]},
                "assigned_to": STR,
                "received_at": WHEN,
                "due_at": WHEN,
                "completed_at": WHEN_OR_NULL,
                "outcome": STR,
            }
        ),
    },
}

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _type_ok(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _format_ok(value: str, fmt: str) -> bool:
    try:
        if fmt == "date-time":
            parsed = datetime.fromisoformat(value)
            return parsed.tzinfo is not None
        if fmt == "date":
            date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check(value: Any, schema: dict[str, Any], path: str, errors: list[str], limit: int) -> None:
    if len(errors) >= limit:
        return
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        _check(value, EXPORT_SCHEMA["$defs"][name], path, errors, limit)
        return
    where = path or "the document"
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where} must be {schema['const']!r}")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {', '.join(map(str, schema['enum']))}")
        return
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, n) for n in names):
            errors.append(f"{where} must be {' or '.join(names)}")
            return
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where} must not be empty")
        if "format" in schema and not _format_ok(value, schema["format"]):
            errors.append(f"{where}: {value!r} is not a {schema['format']}")
    if isinstance(value, int) and not isinstance(value, bool) and value < schema.get("minimum", value):
        errors.append(f"{where} must be at least {schema['minimum']}")
    if isinstance(value, dict) and "properties" in schema:
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{path + '.' if path else ''}{name} is required")
        if schema.get("additionalProperties") is False:
            for name in value:
                if name not in schema["properties"]:
                    errors.append(f"{path + '.' if path else ''}{name} is not a field of this format")
        for name, sub in schema["properties"].items():
            if name in value:
                _check(value[name], sub, f"{path}.{name}" if path else name, errors, limit)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{i}]", errors, limit)


def schema_errors(document: Any, *, limit: int = 20) -> list[str]:
    """What is wrong with `document` as a customer export (at most `limit` reasons); an
    empty list when it follows the schema."""
    errors: list[str] = []
    _check(document, EXPORT_SCHEMA, "", errors, limit)
    return errors


def schema_json() -> str:
    return json.dumps(EXPORT_SCHEMA, indent=2, ensure_ascii=False) + "\n"

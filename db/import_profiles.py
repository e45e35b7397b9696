"""Real cities' 311 exports, read as Open311: each profile renames one city's CSV columns.

A profile is chosen by the header alone (every column in `detect` present), so `python -m db
import` takes such an export as it is. Columns a profile does not name are kept, and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    detect: frozenset[str]
    columns: dict[str, str]  # the export's column -> the Open311 (or extension) field
    statuses: dict[str, str]  # the export's own status words -> ours (lower case)


PROFILES: tuple[Profile, ...] = (
    Profile(
        "NYC 311 (Open Data)",
        frozenset({"Unique Key", "Created Date", "Complaint Type", "Agency Name"}),
        {
            "Unique Key": "service_request_id",
            "Created Date": "requested_datetime",
            "Closed Date": "closed_datetime",
            "Resolution Action Updated Date": "updated_datetime",
            "Due Date": "expected_datetime",
            "Agency Name": "agency_responsible",
            "Complaint Type": "service_name",
            "Descriptor": "description",
            "Incident Address": "address",
            "Borough": "district",
            "Open Data Channel Type": "channel",
            "Latitude": "lat",
            "Longitude": "long",
            "Status": "status",
        },
        {"started": "in_progress", "unspecified": "new"},
    ),
    Profile(
        "Los Angeles MyLA311",
        frozenset({"SRNumber", "CreatedDate", "RequestType", "Owner"}),
        {
            "SRNumber": "service_request_id",
            "CreatedDate": "requested_datetime",
            "UpdatedDate": "updated_datetime",
            "ClosedDate": "closed_datetime",
            "ServiceDate": "expected_datetime",
            "Owner": "agency_responsible",
            "RequestType": "service_name",
            "Address": "address",
            "NCName": "district",
            "RequestSource": "channel",
            "Latitude": "lat",
            "Longitude": "long",
            "Status": "status",
        },
        {"referred out": "rejected"},
    ),
)


def profile_for(columns: list[str]) -> Profile | None:
    """The profile whose columns this header has, if any."""
    present = set(columns)
    return next((p for p in PROFILES if p.detect <= present), None)


def header(columns: list[str], profile: Profile) -> list[str]:
    """The export's header with its columns renamed to Open311 fields."""
    return [profile.columns.get(name, name) for name in columns]


def refine_status(record: dict[str, str], profile: Profile) -> dict[str, str]:
    """A row (already under Open311 names) whose own status word says more than open/closed."""
    status = (record.get("status") or "").strip().lower()
    if status in profile.statuses:
        return {**record, "status_detail": profile.statuses[status]}
    return record

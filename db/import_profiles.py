"""Real cities' 311 exports, read as Open311: each profile renames one city's CSV columns.

A profile is chosen by the header alone (every column in `detect` present), so `python -m db
import` takes such an export as it is. Columns a profile does not name are kept, and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    name: str
    detect: frozenset[str]
    columns: dict[str, str]  # the export's column -> the Open311 (or extension) field
    statuses: dict[str, str]  # the export's own status words -> ours (lower case)
    agencies: dict[str, str] = field(default_factory=dict)  # an agency's code -> its name


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
        {  # the city's own names for the owners' codes; a code not here is kept as it is
            "BOS": "LA Sanitation (BOS)",
            "BSL": "Bureau of Street Lighting (BSL)",
            "BSS": "Bureau of Street Services (BSS)",
            "ITA": "Information Technology Agency (ITA)",
            "LADWP": "Department of Water and Power (LADWP)",
            "OCB": "Office of Community Beautification (OCB)",
        },
    ),
)


def profile_for(columns: list[str]) -> Profile | None:
    """The profile whose columns this header has, if any."""
    present = set(columns)
    return next((p for p in PROFILES if p.detect <= present), None)


def header(columns: list[str], profile: Profile) -> list[str]:
    """The export's header with its columns renamed to Open311 fields."""
    return [profile.columns.get(name, name) for name in columns]


def refine(record: dict[str, str], profile: Profile) -> dict[str, str]:
    """A row (already under Open311 names) with what the profile knows beyond a rename: its own
    status word as our status, and its agency's code as the agency's name."""
    refined = dict(record)
    status = (record.get("status") or "").strip().lower()
    if status in profile.statuses:
        refined["status_detail"] = profile.statuses[status]
    agency = (record.get("agency_responsible") or "").strip()
    if agency in profile.agencies:
        refined["agency_responsible"] = profile.agencies[agency]
    return refined

"""Mapping files: any city's CSV export through a TOML file, checked on three real exports
(NYC, Los Angeles, Boston) against pandas over the raw CSV, on both databases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from db.__main__ import main
from db.schema import channels, departments, districts, tickets
from feeds import import_profiles
from feeds.importer import import_file

DATA = Path(__file__).parent / "data"
MAPPINGS = Path(import_profiles.__file__).parent / "mappings"

# export, its mapping, its columns: id, created, status, agency, channel, district; the zone, the
# date format, and the records the importer skips (LA's date-only closing before its creation)
REAL = {
    "nyc": ("nyc311_2022_sample.csv", "nyc.toml", "Unique Key", "Created Date", "Status",
            "Agency Name", "Open Data Channel Type", "Borough", "America/New_York",
            "%m/%d/%Y %I:%M:%S %p", set()),
    "la": ("la311_2017_sample.csv", "los_angeles.toml", "SRNumber", "CreatedDate", "Status",
           "Owner", "RequestSource", "NCName", "America/Los_Angeles", "%m/%d/%Y %I:%M:%S %p",
           {"1-870332239"}),
    "boston": ("boston311_sample.csv", "boston.toml", "case_enquiry_id", "open_dt", "case_status",
               "department", "source", "neighborhood", "America/New_York", "%Y-%m-%d %H:%M:%S",
               set()),
}


def stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(tickets.c.external_id, tickets.c.created_at, tickets.c.status,
                   departments.c.name.label("department"), channels.c.name.label("channel"),
                   districts.c.name.label("district"))
            .join(departments, departments.c.id == tickets.c.department_id)
            .join(channels, channels.c.id == tickets.c.channel_id)
            .outerjoin(districts, districts.c.id == tickets.c.district_id)).all()
    frame = pd.DataFrame(rows, columns=["external_id", "created_at", "status", "department",
                                        "channel", "district"]).set_index("external_id")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def test_the_shipped_mappings_are_the_three_cities():
    assert {p.name for p in import_profiles.shipped()} == {
        "NYC 311 (Open Data)", "Los Angeles MyLA311", "Boston 311 (Analyze Boston)"}


@pytest.mark.parametrize("city", REAL)
@pytest.mark.parametrize("given", [True, False], ids=["mapping-given", "chosen-by-header"])
def test_real_export_through_its_mapping_matches_pandas_over_the_raw_csv(engine, city, given):
    (file, mapping, key, created, status, agency, channel, district, zone, fmt,
     skipped) = REAL[city]
    profile = import_profiles.load(MAPPINGS / mapping) if given else None
    report = import_file(engine, DATA / file, mapping=profile)  # the mapping's own zone
    raw = pd.read_csv(DATA / file, dtype=str, keep_default_na=False).set_index(key)
    assert (report.inserted, len(report.skips)) == (len(raw) - len(skipped), len(skipped))
    got = stored(engine)
    raw = raw.drop(index=list(skipped))
    assert sorted(got.index) == sorted(raw.index)
    # instants: local wall time in the city's zone, read by pandas independently
    local = pd.to_datetime(raw[created], format=fmt).dt.tz_localize(zone, ambiguous=True)
    assert (got.loc[raw.index, "created_at"] == local.dt.tz_convert("UTC")).all()
    # departments: the export's agency, named as the mapping names its codes
    names = import_profiles.load(MAPPINGS / mapping).agencies
    assert got["department"].value_counts().to_dict() == (
        raw[agency].map(lambda a: names.get(a, a)).value_counts().to_dict())
    assert got["channel"].value_counts().to_dict() == raw[channel].value_counts().to_dict()
    assert got["district"].value_counts().to_dict() == (
        raw[district].str.strip().replace("", None).dropna().value_counts().to_dict())
    # closed in the export is closed here, or rejected when it was refused ("Cancelled")
    ended = raw[status].str.lower().isin(["closed", "referred out", "cancelled"])
    assert (got.loc[raw.index[ended], "status"].isin(["closed", "rejected"])).all()
    assert (got.loc[raw.index[~ended], "status"].isin(["new", "in_progress"])).all()


def test_boston_figures_match_pandas(engine):
    """Open tickets per department, and the closed ones, straight from the raw CSV."""
    import_file(engine, DATA / "boston311_sample.csv")
    raw = pd.read_csv(DATA / "boston311_sample.csv", dtype=str, keep_default_na=False)
    names = import_profiles.load(MAPPINGS / "boston.toml").agencies
    raw["dept"] = raw["department"].map(lambda a: names.get(a, a))
    got = stored(engine)
    open_by_dept = got[got["status"].isin(["new", "in_progress"])]["department"].value_counts()
    assert open_by_dept.to_dict() == raw[raw["case_status"] == "Open"]["dept"].value_counts(
    ).to_dict()
    assert (got["status"] == "closed").sum() == (raw["case_status"] == "Closed").sum() == 85


def test_an_unmapped_header_is_answered_with_its_columns(db_url, tmp_path, capsys):
    path = tmp_path / "city.csv"
    path.write_text("case_id,opened,kind,state\n7,2024-05-01 10:00,Pothole,open\n")
    assert main(["--database", db_url, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "(case_id, opened, kind, state)" in err and "--write-mapping CITY.toml" in err


def test_a_starter_mapping_imports_boston_once_filled_in(db_url, tmp_path, capsys):
    """The starter guesses every column Boston's export needs; with its zone it imports all."""
    export = tmp_path / "export.csv"
    export.write_bytes((DATA / "boston311_sample.csv").read_bytes().replace(
        b"case_enquiry_id", b"case_id", 1))  # no shipped mapping picks this header now
    starter = tmp_path / "boston.toml"
    assert main(["--database", db_url, "import", str(export), "--write-mapping",
                 str(starter)]) == 0
    assert main(["--database", db_url, "import", str(export), "--write-mapping",
                 str(starter)]) == 2  # never overwrites
    capsys.readouterr()
    assert main(["--database", db_url, "import", str(export), "--mapping", str(starter),
                 "--tz", "America/New_York"]) == 0
    assert capsys.readouterr().out.strip() == (
        "read 100 records: 100 inserted, 0 updated, 0 unchanged, 0 skipped")


@pytest.mark.parametrize(("content", "message"), [
    ("name = 'x'\n[columns]\nservice_name = 'a'\n",
     "[columns] gives no column for service_request_id, requested_datetime, status"),
    ("[columns]\nticket = 'a'\n", "[columns] names no Open311 field ticket"),
    ("time_zone = 'Mars/Olympus'\n[columns]\nservice_request_id = 'a'\nservice_name = 'b'\n"
     "requested_datetime = 'c'\nstatus = 'd'\n", "unknown time_zone 'Mars/Olympus'"),
    ("[columns\n", "not valid TOML"),
])
def test_a_bad_mapping_file_is_refused_in_one_line(db_url, tmp_path, capsys, content, message):
    mapping = tmp_path / "bad.toml"
    mapping.write_text(content)
    code = main(["--database", db_url, "import", str(DATA / "boston311_sample.csv"),
                 "--mapping", str(mapping)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err

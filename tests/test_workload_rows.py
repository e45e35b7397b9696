"""The overview's workload rows: which departments, in what order, what each row says, and the
bars its style sheet draws, from a frame built by hand."""

import re

import pandas as pd

from ui import workload


def _load(**extra) -> pd.DataFrame:
    frame = pd.DataFrame({
        "department": ["Road Management", "Vodokanal", "Parks"],
        "code": ["ROADS", "WATER", "PARKS"],
        "department_ru": ["Управление дорожного хозяйства", "Водоканал", "Парки"],
        "open": [1200, 4, 0], "overdue": [300, 0, 0], "at_risk": [100, 1, 0],
    })
    return frame.assign(**extra)


def test_rows_keep_the_queries_order_and_drop_departments_without_open_work():
    rows = workload.rows(_load(), "ru")
    assert [r.code for r in rows] == ["ROADS", "WATER"]
    assert rows[0].name == "Управление дорожного хозяйства"
    assert (rows[0].open, rows[0].overdue, rows[0].at_risk) == (1200, 300, 100)
    assert workload.rows(_load(), "en", top=1)[0].name == "Road Management"
    assert workload.rows(_load().assign(open=0), "en") == []


def test_a_row_reads_overdue_at_risk_open_in_the_interface_language():
    roads = workload.rows(_load(), "ru")[0]
    assert workload.label(roads, "ru") == (
        "Управление дорожного хозяйства · :red[**300**] · :orange[**100**] · 1\xa0200")
    assert workload.label(roads, "en").endswith(":orange[**100**] · 1,200")
    water = workload.rows(_load(), "en")[1]  # nothing overdue: no alarm colour
    assert workload.label(water, "en") == "Vodokanal · :gray[0] · :orange[**1**] · 4"
    hover = workload.tooltip(roads, "ru")
    assert hover.startswith("Управление дорожного хозяйства: открыто 1\xa0200: просрочено 300")


def test_hand_offs_follow_the_numbers_and_fill_the_tooltip():
    rows = workload.rows(_load(received_from_others_7d=[0, 3, 0], passed_on_7d=[5, 0, 0]), "en")
    assert workload.label(rows[0], "en").endswith(" :gray[+0 / −5]")
    assert workload.label(rows[1], "en").endswith(" :gray[+3 / −0]")
    assert "5 passed on to them" in workload.tooltip(rows[0], "en")
    quiet = workload.rows(_load(received_from_others_7d=0, passed_on_7d=0), "en")
    assert ":gray[" not in workload.label(quiet[0], "en")
    assert "Last 7 days" not in workload.tooltip(quiet[0], "en")


def test_long_names_are_cut_to_one_line_and_whole_in_the_tooltip():
    name = "Department of Housing Preservation and Development"
    row = workload.Row(code="HPD", name=name, open=3, overdue=1, at_risk=1)
    shown = workload.label(row, "en").split(" · ")[0]
    assert len(shown) == workload.NAME_CHARS and shown.endswith("…")
    assert workload.tooltip(row, "en").startswith(name)


def test_each_bar_stacks_overdue_at_risk_on_track_against_the_busiest_row():
    rows = workload.rows(_load(), "en")
    css = workload.style(rows)
    roads, water = (re.search(rf"\.st-key-wl_{i} button {{ background-image: ([^;]+);", css)
                    .group(1) for i in range(2))
    # the busiest row fills the width: 25 % overdue, then 8.33 % at risk, the rest on track
    assert f"{workload.RED} 0 25.00%" in roads and f"{workload.ORANGE} 25.00% 33.33%" in roads
    assert f"{workload.BLUE} 33.33% 100.00%" in roads
    # a row of 4 open is 4/1200 of the width, none of it overdue
    assert f"{workload.RED} 0 0.00%" in water and "transparent 0.33%" in water


def test_names_are_inert_markdown():
    row = workload.Row(code="x", name="**[click](http://evil.example)**", open=1, overdue=0,
                       at_risk=0)
    assert "](" not in workload.label(row, "en").replace("\\]", "")
    assert "**[" not in workload.label(row, "en")


def test_the_rows_keep_room_for_the_top_rows_whatever_their_count():
    few = workload.style(workload.rows(_load(), "en"))
    many = workload.style([workload.Row(code=str(n), name=str(n), open=1, overdue=0, at_risk=0)
                           for n in range(workload.TOP)])
    room = f"min-height: {workload.TOP * (workload.ROW_HEIGHT + workload.GAP):.2f}rem"
    assert room in few and room in many

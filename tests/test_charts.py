"""Figure builders speak the user's language: names and dates on the axes."""

from datetime import date

import pandas as pd

from ui import charts


def _workload() -> pd.DataFrame:
    return pd.DataFrame({
        "department": ["Road Management", "Vodokanal"], "code": ["ROADS", "WATER"],
        "department_ru": ["Управление дорожного хозяйства", "Водоканал"],
        "open": [10, 4], "overdue": [3, 0], "at_risk": [1, 1],
    })


def test_workload_bars_name_departments_in_russian_and_stack_to_open():
    fig = charts.workload_bars(_workload(), "ru")
    assert list(fig.data[0].y) == ["Водоканал", "Управление дорожного хозяйства"]
    totals = [sum(trace.x[i] for trace in fig.data) for i in range(2)]
    assert totals == [4, 10]
    assert [trace.name for trace in fig.data] == ["Просрочено", "Под угрозой", "Открыто, в срок"]
    assert list(fig.data[0].customdata) == ["WATER", "ROADS"]


def test_dates_on_axes_follow_the_language():
    flow = pd.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 2)], "received": [3, 4],
                         "resolved": [2, 5]})
    assert charts.flow_lines(flow, "day", "ru").layout.xaxis.tickformat == "%d.%m"
    assert charts.flow_lines(flow, "day", "en").layout.xaxis.tickformat == "%b %d"


def test_workload_marks_hand_offs_beside_the_bars():
    frame = _workload().assign(received_from_others_7d=[0, 3], passed_on_7d=[5, 0])
    fig = charts.attention_bars(frame, "ru")
    marks = fig.data[-1]
    assert marks.mode == "text"
    assert list(marks.text) == ["+3 / −0", "+0 / −5"]  # worst on top: Vodokanal first
    assert list(marks.customdata) == ["WATER", "ROADS"]  # a click on a mark drills down too
    assert "передано другим 5" in marks.hovertext[1]
    quiet = charts.attention_bars(_workload().assign(received_from_others_7d=0, passed_on_7d=0),
                                  "en")
    assert [trace.type for trace in quiet.data] == ["bar"] * 3

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

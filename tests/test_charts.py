"""Figure builders speak the user's language: names and dates on the axes."""

from datetime import date

import pandas as pd

from ui import charts


def test_dates_on_axes_follow_the_language():
    flow = pd.DataFrame({"day": [date(2026, 11, 1), date(2026, 11, 2)], "received": [3, 4],
                         "resolved": [2, 5]})
    assert charts.flow_lines(flow, "day", "ru").layout.xaxis.tickformat == "%d.%m"
    assert charts.flow_lines(flow, "day", "en").layout.xaxis.tickformat == "%b %d"

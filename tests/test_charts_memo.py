"""Charts are kept per process by their arguments: the same data is not laid out twice, other data is."""

from survey.services import charts
from survey.services.charts import svg


def test_the_same_chart_is_drawn_once_and_other_data_draws_again(monkeypatch):
    drawn = []
    real = svg.document

    def counting(key, *a, **k):
        drawn.append(key)
        return real(key, *a, **k)

    monkeypatch.setattr(svg, "document", counting)
    charts.trend_chart.cache_clear()
    line = charts.Line("all", "Bank", [4.1, 4.2], [4.0, 4.1], [4.2, 4.3], ["4.10", "4.20"])
    first = charts.trend_chart("t", "Title", "Desc", ["Q1", "Q2"], [line], y_label="Mean")
    again = charts.trend_chart("t", "Title", "Desc", ["Q1", "Q2"], [line], y_label="Mean")
    other = charts.trend_chart("t", "Title", "Desc", ["Q1", "Q2"],
                               [charts.Line("all", "Bank", [4.1, 3.9], [4.0, 3.8], [4.2, 4.0], ["4.10", "3.90"])],
                               y_label="Mean")
    assert again == first and drawn == ["t", "t"]
    assert 'data-values="4.10;4.20"' in first and 'data-values="4.10;3.90"' in other

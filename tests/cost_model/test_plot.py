"""The cost plot, rendered with Agg and read back through matplotlib's own objects (not pixels): a title, the
table's words in the legend, no two series alike, readable axes, this workload marked and labelled."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from matplotlib.lines import Line2D

from commands.cost_model import parse_args
from cost_model import DURABLE_PATTERNS, MICROVM_PATTERNS, PATTERNS, TENANT_PATTERNS, compare, render
from cost_model.labels import series
from cost_model.plot import draw

WORKED = ["--requests", "1000000", "--cpu-ms", "200", "--wait-ms", "10000", "--memory-mb", "300"]
CODE_NAMES = {*PATTERNS, *DURABLE_PATTERNS, *MICROVM_PATTERNS, *TENANT_PATTERNS, "agentcore_session_storage"}


@pytest.fixture(scope="module")
def drawn():
    run = parse_args([*WORKED, "--lambda-memory-mb", "512"])
    figure = draw(run)
    yield run, figure
    plt.close(figure)


def _series_lines(axis) -> list[Line2D]:
    return [line for line in axis.get_lines() if not line.get_label().startswith("this workload")]


def test_the_figure_says_what_it_shows(drawn):
    _, figure = drawn
    assert figure._suptitle is not None
    assert "every AWS home that publishes its rates" in figure._suptitle.get_text()
    assert len(figure.axes) == 2
    for axis in figure.axes:
        assert axis.get_title()
        assert axis.get_xlabel() and axis.get_xscale() == "log"
    assert figure.axes[0].get_ylabel().startswith("USD a month")
    # Ticks read as plain figures (1,000 / 0.1), not 10^3 or 1e-1.
    figure.canvas.draw()
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and not any("^" in t or "e" in t for t in ticks)


def test_the_legend_uses_the_tables_words_for_every_series(drawn):
    run, figure = drawn
    [legend] = figure.legends
    texts = [t.get_text() for t in legend.get_texts()]
    words = [label for _, label in series(run, compare(run.workload, homes=run.homes))]
    assert texts[: len(words)] == words
    table = " ".join(render(run, compare(run.workload, homes=run.homes)).split())
    assert all(label in table for label in words)
    assert not any(name in text for name in CODE_NAMES for text in texts)
    assert texts[len(words) :] == ["this workload: 10 s waiting", "this workload: 1 request per session"]


def test_no_two_series_look_alike(drawn):
    _, figure = drawn
    for axis in figure.axes:
        lines = _series_lines(axis)
        assert len(lines) == 17  # Lambda 2, tenant isolation 2, durable 2, MicroVMs 3, AgentCore 2 x 4
        looks = [(line.get_color(), line.get_linestyle(), line.get_marker()) for line in lines]
        assert len(set(looks)) == len(looks)
        # Each marker alone tells a series apart, and so does each colour-and-style pair.
        assert len({marker for _, _, marker in looks}) == len(looks)
        assert len({(colour, style) for colour, style, _ in looks}) == len(looks)
        assert all(marker not in ("None", "", None) for _, _, marker in looks)


def test_this_workload_is_a_labelled_vertical_line_on_each_panel(drawn):
    _, figure = drawn
    for axis, x, label in zip(
        figure.axes,
        (10, 1),
        ("this workload: 10 s waiting", "this workload: 1 request per session"),
        strict=True,
    ):
        [mark] = [line for line in axis.get_lines() if line.get_label() == label]
        assert set(mark.get_xdata()) == {x}
        assert label in [text.get_text() for text in axis.texts]


def test_lambdas_line_ends_at_its_15_minute_limit(drawn):
    _, figure = drawn
    [x86] = [line for line in figure.axes[0].get_lines() if line.get_label() == "Lambda x86_64"]
    points = list(zip(x86.get_xdata(), x86.get_ydata(), strict=True))
    drawn_at = [x for x, y in points if y == y]  # NaN is not drawn
    hidden = [x for x, y in points if y != y]
    # 0.2 s of CPU plus the wait: within 900 s drawn, beyond it not.
    assert hidden and all(x + 0.2 <= 900 for x in drawn_at) and all(x + 0.2 > 900 for x in hidden)

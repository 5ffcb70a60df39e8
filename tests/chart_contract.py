"""The contract every chart keeps, imported by the chart test modules of tests/present/charts.

A chart function takes ``ax=None`` and returns the matplotlib Axes it drew on (a new
figure's when ``ax`` is None), like lifetimes' plotting.py. A test module that defines
``CHARTS = {name: callable(**kw) -> Axes}`` imports these two tests; the ``chart``
argument is parametrised over its CHARTS by tests/present/charts/conftest.py.
"""

import matplotlib.pyplot as plt
from matplotlib.axes import Axes


def test_returns_axes_of_a_new_figure(chart):
    ax = chart(lang="en")
    assert isinstance(ax, Axes)
    assert ax in ax.figure.axes
    plt.close(ax.figure)


def test_draws_on_the_given_axes(chart):
    _, (left, right) = plt.subplots(1, 2)
    got = chart(lang="zh", ax=right)
    assert got is right
    assert right.get_title() != "" and left.get_title() == ""
    assert not left.has_data() and not left.texts and (right.has_data() or right.texts)

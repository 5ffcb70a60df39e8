"""Chart tests: every figure closed after each test; the chart contract parametrised over a module's CHARTS."""

import matplotlib
import matplotlib.pyplot as plt
import pytest

matplotlib.use("Agg")


def pytest_generate_tests(metafunc):
    if "chart" in metafunc.fixturenames:
        charts = metafunc.module.CHARTS
        metafunc.parametrize("chart", list(charts.values()), ids=list(charts))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")

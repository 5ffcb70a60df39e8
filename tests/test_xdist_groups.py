"""`make test` runs ``pytest -n auto --dist loadgroup``: a test of an ``xdist_group`` carries its group.

xdist's scheduler keeps a group on one worker by the ``@<group>`` ending of the test's node id
(``tests/conftest.py`` writes it where pytest 9 reads it). Module fixtures run once per worker,
so the expensive ones (the hostile renders, the wheel, a Voila server) run once only when their
tests share a worker.
"""

import pytest


@pytest.mark.xdist_group(name="suite_config")
def test_a_grouped_test_carries_its_group_under_loadgroup(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs under `pytest -n ... --dist loadgroup` (make test)")
    assert request.node.nodeid.endswith("::test_a_grouped_test_carries_its_group_under_loadgroup@suite_config")

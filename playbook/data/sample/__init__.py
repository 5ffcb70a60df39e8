"""The deterministic sample company: a Chinese B2B sales team with planted findings.

:func:`generate` builds every table of :mod:`playbook.core.schema` for a fictitious company
that sells software subscriptions, hardware, implementation and training to Chinese
companies, from 1 January 2023 to :data:`SAMPLE_AS_OF` (30 September 2025). The same
``seed`` and ``scale`` always give the same tables; :func:`write_tables` writes them
as CSV files, byte for byte the same every time. The shipped ``data/sample/`` folder is
``generate(seed=7, scale=1)``; ``data/README.md`` documents it for people.

The data carry findings a workshop can discover; :data:`SIGNALS` names them (rep ids,
team, channels) so tests and notebooks can find them:

a. referral leads convert about 3x better than paid-ad leads;
b. one team loses its deals at the negotiation stage;
c. one sales specialist meets his quota but sells far less than his peers and is weak
   at new-customer development (the worked IDP example of the domain brief);
d. the reps hired in 2025 are still ramping up;
e. February (Spring Festival) is each year's weakest month, December the strongest.

Examples
--------
>>> from playbook.data.sample import SIGNALS, generate
>>> tables = generate(seed=7, scale=1)
>>> list(tables)
['reps', 'customers', 'orders', 'opportunities', 'activities', 'channel_spend', 'assessments', 'quotas']
>>> reps = tables["reps"].set_index("rep_id")
>>> reps.loc[SIGNALS.under_performer, ["name", "team", "role"]].tolist()
['董文斌', '华东一组', '销售专员']
>>> reps.loc[SIGNALS.under_performer_manager, ["name", "role"]].tolist()
['那振宇', '销售经理']
>>> SIGNALS.leaky_team, SIGNALS.ramping_cohort, SIGNALS.paid_ad_channels
('华北一组', ('R022', 'R023', 'R024', 'R025'), ('paid_search', 'paid_social'))
"""

from __future__ import annotations

from playbook.data.sample.generate import (  # noqa: F401
    SIGNALS,
    generate,
    write_tables,
)
from playbook.data.sample.rules import (  # noqa: F401
    LOST_REASONS,
    PRODUCT_LINES,
    SAMPLE_AS_OF,
    SAMPLE_START,
    SampleSignals,
)

__all__ = [
    'SAMPLE_START',
    'SAMPLE_AS_OF',
    'PRODUCT_LINES',
    'LOST_REASONS',
    'SampleSignals',
    'SIGNALS',
    'generate',
    'write_tables',
]

"""Showing: everything that turns figures into text, tables, HTML, workbooks and charts.

Nothing here computes a metric; every function takes the domain's frames and a ``lang``.

- :mod:`playbook.present.tables` — one registry of money / percent / count columns, one display
  function, and HTML tables that escape every cell
- :mod:`playbook.present.html` — HTML fragments and report pieces (escaped through one path)
- :mod:`playbook.present.excel` — the one workbook writer (every cell from data neutralised)
- :mod:`playbook.present.charts` — charts per area (``ax=None`` in, the Axes out)
- :mod:`playbook.present.targets`, ``rfm``, ``funnel``, ``idp``, ``incentives``, ``case_study`` —
  each area's figures as text
"""

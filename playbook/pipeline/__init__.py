"""Running things: notebook execution, the per-rep batch, snapshots and the plan store.

- :mod:`playbook.pipeline.notebooks` — executing a notebook and publishing it as standalone HTML
- :mod:`playbook.pipeline.batch` — per-rep jobs, the worker pool, the index page
- :mod:`playbook.pipeline.snapshot` — a batch's snapshot (Parquet tables), read slice by slice in the kernels
- :mod:`playbook.pipeline.engine` — a warm kernel rendering report after report (``kernelside``: its reset)
- :mod:`playbook.pipeline.workers` — the pool workers' life: their kernel, browser (own thread), events and end
- :mod:`playbook.pipeline.pdf` — HTML to PDF with one reused headless chromium (the one Playwright import)
- :mod:`playbook.pipeline.progress` — the batch's progress phases with rate and ETA
- :mod:`playbook.pipeline.cluster` — the batch on a Dask cluster without a shared filesystem
- :mod:`playbook.pipeline.idp_batch` — the IDP batch (one report per rep)
- :mod:`playbook.pipeline.store` — the plan store (SQLAlchemy): versions, sign-offs, reviews
- :mod:`playbook.pipeline.store_db` — opening the store's database; errors that name their cause
- :mod:`playbook.pipeline.store_schema` — the store's tables, row reader
- :mod:`playbook.pipeline.migrations` — the store's schema changes (Alembic): an old store upgrades in place
"""

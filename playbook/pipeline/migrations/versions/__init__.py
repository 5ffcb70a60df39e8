"""The IDP store's migrations, one file per schema (Alembic revisions ``0001``, ``0002`` …)."""

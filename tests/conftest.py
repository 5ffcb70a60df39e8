"""Shared pytest fixtures (keep this file small and generic)."""

import textwrap

import pytest


@pytest.fixture
def write_file(tmp_path):
    """Return ``write(name, text, encoding="utf-8")``: a file under ``tmp_path``.

    ``text`` is dedented and its leading newline dropped; ``bytes`` are written as they are.
    """

    def write(name, text, encoding="utf-8"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
        return path

    return write

"""The kit's errors raised inside a notebook, worded in the notebook's language.

A command that runs a notebook (``playbook funnel``, ``playbook overview``, …) only
sees what the kernel reports of a failure: the exception's class name and its text.
:func:`show_kit_errors` runs first in such a kernel (the command injects it): from then
on a :class:`~playbook.core.errors.PlaybookError` is reported as :class:`KitMessage`,
whose text is :func:`~playbook.present.messages.message` in ``lang``, with the original
traceback below it. The command then says that text as it is, in the user's language.
"""

from __future__ import annotations

from types import TracebackType

from IPython import get_ipython

from playbook.core.errors import PlaybookError
from playbook.core.labels import check_lang
from playbook.present.messages import message

__all__ = ["KitMessage", "show_kit_errors", "SETUP"]

SETUP = "from playbook.present.notebook_errors import show_kit_errors\nshow_kit_errors({lang!r})"
"""The cell a command injects first (``SETUP.format(lang=…)``)."""


class KitMessage(Exception):
    """A kit error as the notebook's reader should read it: its text is already in their language."""


def show_kit_errors(lang: str = "en") -> None:
    """Report every kit error raised in this kernel as :class:`KitMessage` worded in ``lang``.

    Outside IPython (a plain interpreter) this does nothing.

    Examples
    --------
    >>> show_kit_errors("zh")  # no kernel here: nothing happens
    """
    check_lang(lang)
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell: object, etype: type, value: BaseException, tb: TracebackType | None,
                tb_offset: int | None = None) -> None:
        shown = KitMessage(message(value, lang))
        shell.showtraceback((KitMessage, shown, tb), tb_offset=tb_offset)

    shell.set_custom_exc((PlaybookError,), handler)

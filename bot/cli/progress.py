"""Progress of the CLI's long walks (`active`, `--summary`, `--csv`) on stderr, via tqdm.

Shown only when stderr is a terminal and `--quiet` was not given: a pipe, a file or a CI log
gets nothing, so stderr there holds only what went wrong. The line counts numbers against
the total Sinch reported (each walk's first page carries its ``totalSize``), pages received and
the time spent, and is cleared when the walk ends, so the result prints on a clean screen.
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

from tqdm import tqdm

from bot.sinch.models import ActiveNumbersPage


class WalkProgress:
    """A context manager whose ``page`` method is a ``service.PageSeen`` callback."""

    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self._bar = tqdm(
            desc="Rented numbers",
            unit=" numbers",
            file=stream,
            disable=quiet or not stream.isatty(),
            leave=False,
            dynamic_ncols=True,
            # Redrawn at every page (a page is 1,000 numbers): no throttle is needed, and a
            # quick walk still shows what it counted.
            mininterval=0,
            miniters=1,
        )
        self._pages = 0
        self._total = 0

    def page(self, page: ActiveNumbersPage, first: bool) -> None:
        self._pages += 1
        if first and page.total_size is not None:
            # The walks (one per type) report their totals one by one: the bar's total grows.
            self._total += page.total_size
            self._bar.total = self._total
        pages = f"{self._pages:,} page" + ("s" if self._pages != 1 else "")
        self._bar.set_postfix_str(pages, refresh=False)
        self._bar.update(len(page.active_numbers))

    def __enter__(self) -> WalkProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bar.close()

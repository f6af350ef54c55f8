"""What the ``survey`` commands share: a progress bar for long jobs and the wave lookup."""

from __future__ import annotations

import sys

import click


class _Progress:
    """A click progress bar driven by (stage, done, total) callbacks."""

    def __init__(self):
        self.bar = None
        self.stage = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=f"{stage:<10}", file=sys.stderr, show_pos=False)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def progress_bar() -> _Progress:
    return _Progress()


def wave_or_exit(session, name_or_id: str):
    """The wave named (or numbered) ``name_or_id``, or a clean command-line error."""
    from survey.errors import NotFound
    from survey.services import waves

    try:
        return waves.find_wave(session, name_or_id)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from None

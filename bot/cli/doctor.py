"""Placeholder while the command is being built (replaced before commit)."""

import typer


def register(app: typer.Typer) -> None:
    del app

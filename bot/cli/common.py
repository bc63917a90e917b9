"""What every command shares: the two consoles and the settings, checked as a process starts."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from bot.config import Settings, SettingsError
from bot.startup import checked_settings

out = Console()
err = Console(stderr=True)


def settings_or_exit() -> Settings:
    try:
        return checked_settings()
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def print_plain(data: bytes) -> None:
    sys.stdout.write(data.decode("utf-8", errors="replace") + "\n")

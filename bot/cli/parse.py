"""`cadrebot parse`: messages read as the bot reads them, one JSON object a line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import err


def parse(
    messages: Annotated[
        list[str] | None, typer.Argument(help="Messages to read; without any, one per line from stdin.")
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(help="The day relative dates are read against (YYYY-MM-DD, Asia/Shanghai; default today)."),
    ] = None,
    explain: Annotated[bool, typer.Option(help="Add why: scores, evidence, normalised text, missing fields.")] = False,
) -> None:
    """Read messages as the bot does: one JSON object per line, {"intent": …, "fields": {…}}.

    A blank line gives {"intent": "other", "fields": {}}; no input makes it crash.
    """
    import json
    from datetime import datetime

    from handlers.nlu import understand
    from handlers.nlu.chinese_time import TZ

    if today is not None:
        try:
            now = datetime.strptime(today, "%Y-%m-%d").replace(hour=10, tzinfo=TZ)
        except ValueError:
            err.print(f"[red]--today must be YYYY-MM-DD, got {today!r}[/red]")
            raise typer.Exit(2) from None
    else:
        now = datetime.now(TZ)

    def one(line: str) -> str:
        try:
            u = understand(line, now)
            data = u.contract()
            if explain:
                data["explain"] = u.explain()
        except Exception as exc:  # never crash on input; say what happened on stderr
            err.print(f"could not read a message ({type(exc).__name__}); answered 'other'")
            data = {"intent": "other", "fields": {}}
        return json.dumps(data, ensure_ascii=False)

    out_stream = sys.stdout
    if messages:
        for message in messages:
            out_stream.write(one(message) + "\n")
        return
    for raw in sys.stdin.buffer:
        out_stream.write(one(raw.decode("utf-8", errors="replace").rstrip("\r\n")) + "\n")
    out_stream.flush()

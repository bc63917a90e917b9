"""`cadrebot rules …`: check a local rules file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import err, out

app = typer.Typer(
    help="Local rules (本地规则): check a rules file before pointing CADREBOT_RULES_FILE at it.", no_args_is_help=True
)


@app.command("check")
def rules_check(
    file: Annotated[
        Path | None, typer.Argument(help="A rules file (.yaml; .toml still read). Default: the bundled one.")
    ] = None,
) -> None:
    """Validate a rules file and print what it sets, or exit 1 with the line and setting that is wrong."""
    from knowledge.rules import DEFAULT_RULES, RulesError, describe, load_rules

    path = file or DEFAULT_RULES
    try:
        rules = load_rules(path)
    except RulesError as exc:
        err.print(f"规则文件有误 (rules file has errors)：\n{exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(f"规则文件有效 (rules file OK)：{path}", markup=False, highlight=False, soft_wrap=True)
    for label, text in describe(rules):
        out.print(f"  {label}：{text}", markup=False, highlight=False, soft_wrap=True)

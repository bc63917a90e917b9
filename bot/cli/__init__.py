"""The `cadrebot` command: one module per command group, put together here (`cadrebot = "bot.cli:main"`).

running   run, serve, worker, scheduler, dingtalk-stream, migrate
parse     parse                      ask       ask
roster    roster import              tasks     tasks load
rules     rules check                plan      plan import, plan show
exports   export patrols|meetings|trips|subsidy
wecom     wecom verify-url|decrypt   dingtalk  dingtalk sign|decrypt
"""

from __future__ import annotations

import typer

from bot.cli import ask, dingtalk, exports, parse, plan, roster, rules, running, tasks, wecom

app = typer.Typer(
    help="村务助手 cadrebot: a WeCom/DingTalk assistant for village-level organisations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
# Groups first, then commands, in the order `cadrebot --help` has always listed them.
app.add_typer(roster.app, name="roster")
app.add_typer(wecom.app, name="wecom")
app.add_typer(exports.app, name="export")
app.add_typer(tasks.app, name="tasks")
app.command()(running.run)
app.command()(running.serve)
app.command()(running.worker)
app.command()(running.scheduler)
app.command("dingtalk-stream")(running.dingtalk_stream)
app.command()(running.migrate)
app.command()(parse.parse)
app.command()(ask.ask)
app.add_typer(rules.app, name="rules")
app.add_typer(plan.app, name="plan")
app.add_typer(dingtalk.app, name="dingtalk")


def main() -> None:
    app()

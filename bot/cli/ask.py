"""`cadrebot ask`: the bot's answer to a question, from the command line — as anyone (knowledge only) or as a
person on the roster (--as USERID), whose own records can then be asked about too."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from bot.cli.common import err, out, settings_or_exit
from bot.config import Settings
from bot.models import Inbound, Kind
from knowledge.answers import Answer, Source

RECORDS_NEED_A_PERSON = "这是关于个人记录的问题，请用 --as 指定您的企业微信账号（例如 --as liming）。"


def ask_as(settings: Settings, question: str, userid: str | None, now: datetime | None = None) -> Answer:
    """What the bot would answer `userid` (or anyone, without one). Raises LookupError for an unknown account."""
    from bot.dispatch import actor_of, find_person
    from bot.respond import context_for, policy
    from bot.store.db import get_engine, session_scope
    from bot.store.migrate import upgrade
    from handlers.ask import answer_for, knowledge_for
    from handlers.ask_records import asks_about_own_records
    from knowledge.answers import answer

    upgrade(settings.database_url)
    now = now or datetime.now(UTC)
    tz = ZoneInfo(settings.timezone)
    rules = policy(settings)
    with session_scope(get_engine(settings.database_url)) as s:
        if not userid:
            if asks_about_own_records(question):
                return Answer(RECORDS_NEED_A_PERSON, [Source("个人记录", "records")], False)
            return answer(question, knowledge_for(s, rules), rules.rules, now.astimezone(tz).date())
        person = find_person(s, "wecom", userid)
        if person is None or not person.active:
            raise LookupError(f"名册中没有账号为 {userid} 的在职人员")
        inbound = Inbound(
            platform="wecom",
            tenant="cli",
            sender=userid,
            message_id="cli",
            dedup_key=f"cli:{now.isoformat()}",
            created_at=now,
            kind=Kind.TEXT,
            text=question,
        )
        # the Context the dispatcher would hand the "ask" handler; answer_for keeps the sources --json prints
        return answer_for(context_for(settings, s, actor_of(person, "wecom", userid), inbound, now), question)


def print_answer(got: Answer, as_json: bool, out: Console) -> None:
    if as_json:
        sys.stdout.write(json.dumps(got.as_dict(), ensure_ascii=False) + "\n")
        return
    out.print(got.text, markup=False, highlight=False)
    if got.sources:
        names = "、".join(f"{s.title}（{s.kind}）" for s in got.sources)
        out.print(
            f"来源：{names}" + ("" if got.confident else "（不确定）"), style="dim", markup=False, highlight=False
        )


def ask(
    question: Annotated[
        list[str], typer.Argument(help="The question, in Chinese as a cadre would ask it (- reads stdin).")
    ],
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Ask as this roster account (WeCom userid), so own records can be asked about."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"answer", "sources": [{"title", "kind"}], "confident"}.')
    ] = False,
) -> None:
    """Answer a question as the bot would: the work plan, the FAQ and the rules file, or (with --as) the
    person's own records — with the source quoted, or an honest "no good answer" (exit code 0 either way)."""
    text = " ".join(question).strip()
    if text == "-":
        text = sys.stdin.read().strip()
    if not text:
        err.print("请给出问题 (give a question)")
        raise typer.Exit(2)
    settings = settings_or_exit()
    try:
        got = ask_as(settings, text, as_user)
    except LookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    print_answer(got, as_json, out)

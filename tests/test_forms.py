"""The form machinery on its own: the words that steer a draft, the Redis store's undo record that makes a
retried message apply once, and receipt numbers under concurrent filing."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.formstore import FormStore
from bot.store.db import get_engine, session_scope
from bot.store.receipts import next_receipt
from handlers.forms import commands
from handlers.forms.state import MAX_OPEN, FormDesk, FormState

pytestmark = pytest.mark.dated

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "field", "value", "explicit"),
    [
        ("改一下地点为王家湾", "地点", "王家湾", True),
        ("类别改成治安", "类别", "治安", True),
        ("把日期改为昨天", "日期", "昨天", True),
        ("地点是王家湾", "地点", "王家湾", False),
        ("网格：5组", "网格", "5组", False),
        ("改成5组", "", "5组", True),
        ("请帮我修改一下处理情况为已处理", "处理情况", "已处理", True),
    ],
)
def test_edits_are_read(text: str, field: str, value: str, explicit: bool) -> None:
    assert commands.read_edit(text) == commands.Edit(field, value, explicit)


@pytest.mark.parametrize("text", ["今天巡查3组发现垃圾", "收到", "3组", "撤回", "交通补助怎么算？"])
def test_other_messages_are_not_edits(text: str) -> None:
    assert commands.read_edit(text) is None


@pytest.mark.parametrize("text", ["继续", "继续登记", "接着办", "继续。"])
def test_continue(text: str) -> None:
    assert commands.is_continue(text) and not commands.is_cancel(text)


@pytest.mark.parametrize("text", ["取消", "不报了", "算了", "取消登记", "不用了吧"])
def test_cancel(text: str) -> None:
    assert commands.is_cancel(text) and not commands.is_continue(text)


@pytest.mark.parametrize("text", ["撤回", "撤回刚才那条", "撤销上一条", "删掉"])
def test_withdraw(text: str) -> None:
    assert commands.is_withdraw(text)


def draft(kind: str = "patrol", **values: object) -> FormState:
    return FormState(kind=kind, values=dict(values), started_at=NOW, updated_at=NOW)


def test_the_desk_keeps_at_most_three_drafts_newest_on_top() -> None:
    desk = FormDesk()
    forms = [draft(n=i) for i in range(MAX_OPEN + 1)]
    for f in forms:
        desk.open(f)
    assert [f.values["n"] for f in desk.forms] == [1, 2, 3] and desk.dropped == [forms[0]]
    desk.touch(forms[1], NOW)
    assert desk.current is forms[1]
    assert desk.close(forms[1]) is forms[3]


def test_a_retried_message_sees_the_drafts_from_before_it(redis) -> None:
    store = FormStore(redis, 3600)
    desk, before = store.load(7, "msg-1", NOW)
    desk.open(draft(grid=None))
    store.save(7, desk, "msg-1", before)  # message 1 opened a draft …

    desk, before = store.load(7, "msg-2", NOW)
    assert desk.current is not None
    desk.current.values["grid"] = "3组"
    desk.touch(desk.current, NOW)
    store.save(7, desk, "msg-2", before)  # … message 2 answered, then its SQL commit failed

    retry, _ = store.load(7, "msg-2", NOW)  # RQ runs message 2 again: it starts from message 1's draft
    assert retry.current is not None and retry.current.values["grid"] is None
    later, _ = store.load(7, "msg-3", NOW)  # the next message sees message 2's result
    assert later.current is not None and later.current.values["grid"] == "3组"


def test_drafts_expire_after_the_ttl(redis) -> None:
    store = FormStore(redis, 3600)
    desk, before = store.load(7, "m1", NOW)
    desk.open(draft())
    store.save(7, desk, "m1", before)
    assert store.drafts(7, NOW + timedelta(minutes=59))
    assert store.drafts(7, NOW + timedelta(minutes=61)) == []
    assert 0 < redis.ttl(store.key(7)) <= 3600


def test_an_unreadable_draft_is_dropped_not_fatal(redis) -> None:
    store = FormStore(redis, 3600)
    redis.set(store.key(7), b"\xff not json")
    assert store.drafts(7, NOW) == []
    redis.set(store.key(7), '{"forms": [{"kind": 5}]}')
    assert store.drafts(7, NOW) == []


def test_a_failed_commit_applies_an_answer_once(inproc, factory, monkeypatch) -> None:
    """Drafts are written before the SQL commit; if the commit fails, RQ's retry must not answer twice."""
    import bot.dispatch
    from bot.dispatch import handle_inbound
    from bot.platforms.wecom.wire import parse

    def payload(text: str, msg_id: str) -> dict:
        inbound = parse(factory.text("liming", text, msg_id=msg_id).encode())
        assert inbound is not None
        return inbound.model_dump(mode="json")

    assert handle_inbound(payload("巡查发现有人乱倒垃圾", "5001")) == "processed"  # asks for the grid
    real_save = FormStore.save
    calls = {"n": 0}

    def save_then_fail(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("COMMIT", {}, Exception("database went away"))

    monkeypatch.setattr(FormStore, "save", save_then_fail)
    answer = payload("3组", "5002")
    with pytest.raises(OperationalError):
        handle_inbound(answer)  # transient: RQ will retry
    assert handle_inbound(answer) == "processed"  # the retry
    store = bot.dispatch.form_store(inproc.settings)
    [form] = store.drafts(_person_id(inproc, "liming"), datetime.now(UTC))
    assert form.values["grid"] == "3组" and form.asking == "resolved"  # answered once: now asking the next


def _person_id(server, user: str) -> int:
    from sqlalchemy import select

    from bot.store.tables import Person

    with session_scope(get_engine(server.settings.database_url)) as s:
        return s.scalars(select(Person.id).where(Person.wecom_userid == user)).one()


def test_receipt_numbers_never_repeat_under_concurrent_filing(db_url: str) -> None:
    engine = get_engine(db_url)
    got: list[str] = []
    lock = threading.Lock()

    def file_some() -> None:
        for _ in range(10):
            for attempt in range(20):
                try:
                    with session_scope(engine) as s:
                        number = next_receipt(s, "XC", date(2026, 3, 5))
                    break
                except OperationalError:  # SQLite: database is locked; a worker's RQ retry would do the same
                    if attempt == 19:
                        raise
            with lock:
                got.append(number)

    threads = [threading.Thread(target=file_some) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [f"XC-20260305-{n:03d}" for n in range(1, 41)]

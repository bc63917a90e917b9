"""DingTalk interactive cards: every cardParamMap value a string within 1 KB, one fresh outTrackId per card
(the card's task id), a retry that finds its card already made, and a tap coming back as the same
CardAction a WeCom tap gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from test_card_templates import CASES

from bot.models import CardReply, CardUpdate, Kind
from bot.platforms import sender_for
from bot.platforms.base import OutboundMessage
from bot.platforms.dingtalk.cards import CardCallbackError, inbound_from_card_callback
from bot.sim.dingtalk_callbacks import DingTalkCallbackFactory
from bot.sim.fake_dingtalk import FakeDingTalk
from cards import dingtalk_limits
from cards.content import card as build_card
from cards.ids import new_task_id
from cards.model import Button, Card, CardField, Choices, Option, Selection
from cards.render import render

from conftest import DINGTALK_CLIENT_ID, DINGTALK_SECRET

NOW = datetime(2026, 3, 5, 2, 15, tzinfo=UTC)
LONG = "村里反映的情况比较复杂，涉及多户村民的宅基地边界和历史遗留问题，需要镇里协调" * 10


def big_card() -> Card:
    return Card(
        flow="patrol",
        title=LONG,
        description=LONG,
        fields=[CardField(label=f"项目{i}", value=LONG) for i in range(12)],
        buttons=[Button(key=f"k{i}", text=f"按钮{i}") for i in range(8)],
        selection=Selection(key="cat", title="类别", options=[Option(id=str(i), text=LONG) for i in range(30)]),
        choices=Choices(key="who", options=[Option(id=str(i), text=LONG) for i in range(30)], multiple=True),
        submit=Button(key="submit", text="提交"),
        task_id=new_task_id("patrol", NOW),
    )


def test_every_value_is_a_string_within_a_kilobyte() -> None:
    params = render("dingtalk", big_card())["cardParamMap"]
    assert dingtalk_limits.problems(params) == []
    assert all(isinstance(v, str) for v in params.values())
    assert params["done"] == "false" and params["interactive"] == "true"
    buttons = json.loads(params["buttons"])
    assert [b["key"] for b in buttons] == [f"k{i}" for i in range(dingtalk_limits.BUTTONS)]
    assert json.loads(params["selection"])["options"]  # options dropped from the end until it fits, not all


def test_a_finished_card_has_nothing_to_tap() -> None:
    card = Card(flow="patrol", title="请确认巡查记录", buttons=[Button(key="submit", text="提交")], task_id="t-1")
    params = render("dingtalk", card.finished("已提交 · 编号 XC-20260305-003"))["cardParamMap"]
    assert params["buttons"] == "[]" and params["done"] == "true"
    assert params["done_text"] == "已提交 · 编号 XC-20260305-003" and "XC-20260305-003" in params["markdown"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_card_renders_for_dingtalk(name: str) -> None:
    template, values = CASES[name]
    card = build_card(template, flow="golden", **values).model_copy(update={"task_id": "golden-1"})
    rendered = render("dingtalk", card)
    assert dingtalk_limits.problems(rendered["cardParamMap"]) == []
    assert rendered["cardParamMap"]["task_id"] == "golden-1"
    keys = [b.key for b in card.buttons[: dingtalk_limits.BUTTONS]] if card.done_text is None else []
    assert [b["key"] for b in json.loads(rendered["cardParamMap"]["buttons"])] == keys


# -- sending ----------------------------------------------------------------------------------------


def send(server, reply, to: str = "dt_wangxh", **kw):
    sender = sender_for("dingtalk", server.settings)
    return sender.send(OutboundMessage(outbox_id=1, recipient=to, reply=reply, **kw), lambda n: None, lambda: None)


def confirm_card() -> Card:
    return Card(
        flow="patrol",
        title="请确认巡查记录",
        fields=[CardField(label="网格", value="3组")],
        buttons=[Button(key="submit", text="提交"), Button(key="cancel", text="取消", style="danger")],
        task_id=new_task_id("patrol", NOW),
    )


def test_a_card_gets_a_fresh_out_track_id_the_task_id(server) -> None:
    fake = FakeDingTalk(server.settings)
    first, second = confirm_card(), confirm_card()
    assert first.task_id != second.task_id
    for card in (first, second):
        result = send(server, CardReply(card=card))
        assert result.response_code == card.task_id  # kept to update (retire) the card later
    cards = [e for e in fake.inbox("dt_wangxh") if e["api"] == "card"]
    assert [c["outTrackId"] for c in cards] == [first.task_id, second.task_id]
    assert all(isinstance(v, str) for c in cards for v in c["cardParamMap"].values())


def test_a_retry_after_a_timeout_delivers_the_existing_card(server) -> None:
    fake = FakeDingTalk(server.settings)
    card = confirm_card()
    send(server, CardReply(card=card))
    send(server, CardReply(card=card), attempt=2)  # "cardAlreadyExist": the first attempt did arrive
    assert [e["api"] for e in fake.sent()] == ["card", "card"]


def test_a_batch_card_is_one_card_delivered_20_at_a_time(server) -> None:
    fake = FakeDingTalk(server.settings)
    people = [f"dt_{u}" for u in ("zhaomin", "liming", "wangxh", "zhangwei", "liufang")] * 5
    people[3] = "dt_nobody"
    result = send(server, CardReply(card=confirm_card()), to="*", recipients=people)
    calls = [e for e in fake.sent() if e["api"] == "card"]
    assert len(calls) == 2 and len({c["outTrackId"] for c in calls}) == 1
    assert result.failed == ["dt_nobody"]


def test_an_update_changes_the_tappers_view(server) -> None:
    fake = FakeDingTalk(server.settings)
    card = confirm_card()
    send(server, CardReply(card=card))
    send(server, CardUpdate(card=card.finished("已提交"), response_code=card.task_id))
    update = fake.inbox("dt_wangxh")[-1]
    assert update["api"] == "card_update" and update["users"] == ["dt_wangxh"]
    assert update["cardParamMap"]["done_text"] == "已提交"


# -- taps -------------------------------------------------------------------------------------------


def callback(key: str = "submit", **params: object) -> dict[str, object]:
    content = {"cardPrivateData": {"actionIds": [key], "params": {"action": key, **params}}}
    return {
        "type": "actionCallback",
        "outTrackId": "patrol-20260305101500-0123456789ab",
        "corpId": "dingcorp",
        "userId": "dt_wangxh",
        "content": json.dumps(content, ensure_ascii=False),
    }


def test_a_tap_is_the_same_card_action_as_on_wecom() -> None:
    inbound = inbound_from_card_callback(callback("confirm", cat="3", who='["1","2"]'), received_at=NOW)
    assert inbound.platform == "dingtalk" and inbound.kind == Kind.CARD_ACTION and inbound.sender == "dt_wangxh"
    action = inbound.card_action
    assert action is not None
    assert (action.task_id, action.key) == ("patrol-20260305101500-0123456789ab", "confirm")
    assert action.selections == {"cat": ["3"], "who": ["1", "2"]}
    assert action.response_code == action.task_id


def test_the_same_tap_twice_is_one_message_unless_the_transport_says_otherwise() -> None:
    one = inbound_from_card_callback(callback(), received_at=NOW)
    again = inbound_from_card_callback(callback(), received_at=datetime.now(UTC))
    other = inbound_from_card_callback(callback("cancel"), received_at=NOW)
    assert one.dedup_key == again.dedup_key != other.dedup_key
    a = inbound_from_card_callback(callback(), received_at=NOW, message_id="m1")
    b = inbound_from_card_callback(callback(), received_at=NOW, message_id="m2")
    assert a.dedup_key != b.dedup_key


def test_a_tap_without_a_button_is_refused() -> None:
    bad = callback()
    bad["content"] = json.dumps({"cardPrivateData": {"params": {}}})
    with pytest.raises(CardCallbackError):
        inbound_from_card_callback(bad, received_at=NOW)
    with pytest.raises(CardCallbackError):
        inbound_from_card_callback({**callback(), "outTrackId": ""}, received_at=NOW)


def test_the_card_callback_endpoint_checks_its_signature(http: httpx.Client) -> None:
    factory = DingTalkCallbackFactory(DINGTALK_CLIENT_ID, DINGTALK_SECRET)
    tap = factory.card_tap("dt_wangxh", "patrol-1", "submit")
    assert http.post(tap.path, headers=tap.headers, content=tap.content).status_code == 200
    forged = {**tap.headers, "x-ddpaas-signature": "AAAA"}
    assert http.post(tap.path, headers=forged, content=tap.content).status_code == 403
    stale = DingTalkCallbackFactory(DINGTALK_CLIENT_ID, "another-secret").card_tap("dt_wangxh", "p", "k")
    assert http.post(stale.path, headers=stale.headers, content=stale.content).status_code == 403

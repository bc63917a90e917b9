"""DingTalk sending against the fake DingTalk API over HTTP: the token fetched once and shared, refreshed when
refused; replies through the sessionWebhook while it lasts and through batchSend after; batches of 20;
errors classified for the outbox; the custom robot's sign and its 20-a-minute pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.models import MarkdownReply, NoticeReply, TextReply
from bot.platforms import sender_for
from bot.platforms.base import OutboundMessage, Permanent, RetryLater, Sender
from bot.platforms.dingtalk.client import DingTalkClient
from bot.platforms.dingtalk.sender import TEXT_LIMIT
from bot.platforms.dingtalk.sessions import remember_session
from bot.platforms.dingtalk.wire import Conversation
from bot.sim.fake_dingtalk import FakeDingTalk
from bot.text import split_utf8

from conftest import DINGTALK_CLIENT_ID, DINGTALK_SECRET


def client_for(server: Any, **extra: Any) -> DingTalkClient:
    values: dict[str, Any] = {
        "client_id": DINGTALK_CLIENT_ID,
        "client_secret": DINGTALK_SECRET,
        "robot_code": DINGTALK_CLIENT_ID,
        "api_base": f"{server.url}/sim/dingtalk",
        "redis": FakeDingTalk(server.settings).redis,
        "backoff": 0.01,
    }
    values.update(extra)
    return DingTalkClient(**values)


def send(sender: Sender, reply: Any, to: str = "dt_wangxh", **kw: Any) -> Any:
    progress: list[int] = []
    paced: list[int] = []
    message = OutboundMessage(outbox_id=1, recipient=to, reply=reply, **kw)
    result = sender.send(message, progress.append, lambda: paced.append(1))
    return result, progress, paced


def open_session(server: Any, fake: FakeDingTalk, user: str, minutes: int = 90) -> None:
    url, _ = fake.open_session(user, server.url, seconds=minutes * 60)
    conv = Conversation(
        conversation_type="1",
        conversation_id="cid-test",
        session_webhook=url,
        session_expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
        robot_code=DINGTALK_CLIENT_ID,
    )
    remember_session(fake.redis, user, conv)


@pytest.fixture
def ding(server):
    return FakeDingTalk(server.settings)


# -- the token --------------------------------------------------------------------------------------


def test_the_token_is_fetched_once_and_shared(server, ding) -> None:
    first, second = client_for(server), client_for(server)
    assert first.token() == second.token() == first.token()
    assert ding.tokens_issued() == 1


def test_a_refused_token_is_refreshed_once(server, ding) -> None:
    client = client_for(server)
    client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "一"})
    ding.expire_tokens()  # DingTalk now answers 400 InvalidAuthentication
    client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "二"})
    assert ding.tokens_issued() == 2
    assert [e["msgParam"]["content"] for e in ding.inbox("dt_wangxh")] == ["一", "二"]


def test_wrong_app_secret_is_permanent_and_says_which_setting(server) -> None:
    with pytest.raises(Permanent) as exc:
        client_for(server, client_secret="wrong").token()
    assert exc.value.code == "invalidClientIdOrSecret" and "CLIENT_SECRET" in exc.value.reason


# -- session or OpenAPI ----------------------------------------------------------------------------


def test_a_reply_goes_through_the_session_while_it_lasts(server, ding) -> None:
    open_session(server, ding, "dt_wangxh")
    sender = sender_for("dingtalk", server.settings)
    _, progress, paced = send(sender, TextReply(text="收到"))
    [entry] = ding.inbox("dt_wangxh")
    assert entry["api"] == "session" and entry["text"] == {"content": "收到"}
    assert progress == [1] and paced == [1] and ding.tokens_issued() == 0  # no token, no API quota


def test_session_gone_falls_back_to_batch_send(server, ding) -> None:
    open_session(server, ding, "dt_wangxh")
    ding.expire_sessions()  # DingTalk answers 300001 before the expiry we were told
    sender = sender_for("dingtalk", server.settings)
    send(sender, MarkdownReply(text="## 本周巡查\n\n共3次"))
    [entry] = ding.inbox("dt_wangxh")
    assert entry["api"] == "batchSend" and entry["msgKey"] == "sampleMarkdown"
    assert entry["msgParam"] == {"title": "本周巡查", "text": "## 本周巡查\n\n共3次"}


def test_a_session_about_to_expire_is_not_used(server, ding) -> None:
    open_session(server, ding, "dt_wangxh", minutes=4)  # inside the 5-minute margin
    send(sender_for("dingtalk", server.settings), TextReply(text="提醒"))
    assert [e["api"] for e in ding.inbox("dt_wangxh")] == ["batchSend"]


def test_a_long_text_goes_in_parts_and_resumes(server, ding) -> None:
    text = "巡查情况说明。" * 600  # 12,600 bytes
    sender = sender_for("dingtalk", server.settings)
    _, progress, paced = send(sender, TextReply(text=text), parts_sent=1)
    parts = [e["msgParam"]["content"] for e in ding.inbox("dt_wangxh")]
    total = len(split_utf8(text, TEXT_LIMIT))
    assert total == 4 and parts == split_utf8(text, TEXT_LIMIT)[1:]  # the first part was sent before
    assert progress == [2, 3, 4] and len(paced) == 3
    assert all(len(p.encode()) <= TEXT_LIMIT for p in parts)


def test_a_notice_with_a_link_is_an_action_card(server, ding) -> None:
    send(sender_for("dingtalk", server.settings), NoticeReply(title="防汛演练", text="周六9点", url="https://x.cn/n/1"))
    [entry] = ding.inbox("dt_wangxh")
    assert entry["msgKey"] == "sampleActionCard" and entry["msgParam"]["singleURL"] == "https://x.cn/n/1"


# -- batches ----------------------------------------------------------------------------------------


def test_a_batch_goes_20_at_a_time_and_reports_who_was_refused(server, ding) -> None:
    people = [f"dt_{u}" for u in ("zhaomin", "liming", "wangxh", "zhangwei", "liufang", "yangfan")] * 7  # 42
    people[5] = "dt_nobody"
    sender = sender_for("dingtalk", server.settings)
    result, progress, _ = send(sender, TextReply(text="通知"), to="*", recipients=people)
    calls = [e for e in ding.sent() if e["api"] == "batchSend"]
    assert [len(c["users"]) + ("dt_nobody" in people[i * 20 : i * 20 + 20]) for i, c in enumerate(calls)] == [20, 20, 2]
    assert result.failed == ["dt_nobody"] and progress == [1, 2, 3]


def test_more_than_20_in_one_call_is_refused_before_sending(server) -> None:
    with pytest.raises(Permanent):
        client_for(server).batch_send_to_users([f"u{i}" for i in range(21)], "sampleText", {"content": "x"})


# -- errors -----------------------------------------------------------------------------------------


def test_unknown_person_is_permanent(server) -> None:
    with pytest.raises(Permanent) as exc:
        send(sender_for("dingtalk", server.settings), TextReply(text="x"), to="dt_nobody")
    assert exc.value.code == "invalidStaffIdList"


def test_qps_limit_is_retried_quickly_then_later(server, ding) -> None:
    client = client_for(server)
    client.token()
    ding.set_fault("batchSend", 1, http_status=403, code="Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "一"})  # the quick retry got through
    ding.set_fault("batchSend", 5, http_status=403, code="Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    with pytest.raises(RetryLater) as exc:
        client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "二"})
    assert exc.value.code == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"


def test_server_errors_are_transient(server, ding) -> None:
    client = client_for(server)
    ding.set_fault("batchSend", 5, http_status=503)
    with pytest.raises(RetryLater):
        client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "x"})


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("invalidParameter.robotCode.notExsit", "ROBOT_CODE"),
        ("Forbidden.AccessDenied.AccessTokenPermissionDenied", "权限"),
        ("bot.stopped", "停用"),
    ],
)
def test_configuration_errors_are_permanent_with_a_reason(server, ding, code: str, words: str) -> None:
    client = client_for(server)
    client.token()
    ding.set_fault("batchSend", 1, http_status=400 if "Forbidden" not in code else 403, code=code)
    with pytest.raises(Permanent) as exc:
        client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "x"})
    assert exc.value.code == code and words in exc.value.reason


def test_a_monthly_quota_waits_an_hour(server, ding) -> None:
    client = client_for(server)
    client.token()
    ding.set_fault("batchSend", 1, http_status=403, code="Forbidden.AccessDenied.ApiCountLimitForOrg")
    with pytest.raises(RetryLater) as exc:
        client.batch_send_to_users(["dt_wangxh"], "sampleText", {"content": "x"})
    assert exc.value.delay >= 3600


# -- the custom group robot -----------------------------------------------------------------------


def webhook_client(server: Any, secret: str, client_id: str = DINGTALK_CLIENT_ID) -> DingTalkClient:
    return client_for(
        server,
        client_id=client_id,
        webhook=f"{server.url}/sim/dingtalk/robot/send?access_token=tok123",
        webhook_secret=secret,
    )


@pytest.fixture
def signed_server(server_with):
    return server_with(
        DINGTALK_WEBHOOK="http://placeholder.invalid/robot/send?access_token=tok123",
        DINGTALK_WEBHOOK_SECRET="SECtestsecret0123456789",
    )


def test_webhook_is_signed_per_request_and_paced_to_20_a_minute(signed_server) -> None:
    client = webhook_client(signed_server, "SECtestsecret0123456789")
    for i in range(20):
        client.webhook_send({"msgtype": "text", "text": {"content": f"第{i}条"}})
    with pytest.raises(RetryLater) as exc:
        client.webhook_send({"msgtype": "text", "text": {"content": "第21条"}})
    assert exc.value.code == "webhook_pace" and 0 < exc.value.delay <= 61
    fake = FakeDingTalk(signed_server.settings)
    assert len([e for e in fake.sent() if e["api"] == "webhook"]) == 20


def test_webhook_wrong_secret_is_permanent(signed_server) -> None:
    with pytest.raises(Permanent) as exc:
        webhook_client(signed_server, "SECwrong").webhook_send({"msgtype": "text", "text": {"content": "x"}})
    assert exc.value.code == 310000


def test_webhook_over_the_limit_is_blocked_for_ten_minutes(signed_server) -> None:
    # two installations sharing one robot: each paces itself, DingTalk counts both
    one = webhook_client(signed_server, "SECtestsecret0123456789", client_id="dingone")
    two = webhook_client(signed_server, "SECtestsecret0123456789", client_id="dingtwo")
    for i in range(20):
        (one if i % 2 else two).webhook_send({"msgtype": "text", "text": {"content": str(i)}})
    with pytest.raises(RetryLater) as exc:
        two.webhook_send({"msgtype": "text", "text": {"content": "x"}})
    assert exc.value.code == 410100 and exc.value.delay >= 600


def test_sign_is_url_encoded_once() -> None:
    url = httpx.URL("https://oapi.dingtalk.com/robot/send?access_token=t").copy_merge_params({"sign": "a+b/c="})
    assert str(url).endswith("access_token=t&sign=a%2Bb%2Fc%3D")

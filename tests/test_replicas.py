"""Two API replicas behind a load balancer share Redis: a message WeCom delivers to both is handled once."""

from __future__ import annotations

import httpx

from conftest import LiveServer, free_port


def test_the_same_callback_to_two_replicas_gives_one_reply(server, factory, fake, work) -> None:
    port = free_port()
    with LiveServer(server.settings, port) as second:
        callback = factory.envelope(factory.text("wangxh", "帮助", msg_id="9000000000000000001"))
        with httpx.Client(timeout=10) as http:
            for base in (server.url, second.url, server.url, second.url):
                r = http.post(f"{base}/wecom/callback", params=callback.params, content=callback.body)
                assert r.status_code == 200
    work()
    got = fake.inbox("wangxh")
    assert len(got) == 1 and got[0]["msgtype"] == "template_card"

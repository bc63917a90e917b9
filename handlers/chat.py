"""Acknowledgements and chit-chat: 收到 needs no answer; a greeting gets a short pointer to what the bot does;
a bare topic (乡镇干部履职清单管理) the knowledge base knows well is answered as the question it is."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.registry import handles

GREETING = re.compile(r"在吗|在不在|有人|你好|您好|早上好|早安|晚上好|hi|hello|喂", re.I)


@handles("ack")
def acknowledged(ctx: Context) -> None:
    """收到 / 好的: nothing to say back (a confirmation of a notice is recorded by the broadcast flow)."""


@handles("other")
def other(ctx: Context) -> None:
    text = (ctx.understood.text if ctx.understood else ctx.inbound.text) or ""
    if not text.strip():
        ctx.reply("没看懂您的消息，发送「帮助」查看我能做什么。")
    elif GREETING.search(text):
        ctx.reply("您好，我在。巡查、会议、走访直接发给我就行，发送「帮助」查看说明。")
    else:
        from handlers.ask import answer_for

        found = answer_for(ctx, text)
        if found.confident:
            ctx.reply(found.text)
        else:
            ctx.reply("收到。这条消息里没有需要登记的事项；要办事可以直接说，发送「帮助」查看说明。")

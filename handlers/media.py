"""Photos, voice, files, locations and links sent on their own. A photo or location sent while a patrol
is being filled, or just after, attaches to it; otherwise the sender is told how to report in words.
Nothing here is ever required."""

from __future__ import annotations

from handlers.context import Context
from handlers.registry import handles

EXAMPLE = "例如「今天巡查3组，河道垃圾一处，已清理」"
WHAT = {
    "image": "图片",
    "video": "视频",
    "file": "文件",
    "location": "位置",
    "link": "链接",
}


@handles("media:image", "media:video", "media:file", "media:location", "media:link")
def received(ctx: Context) -> None:
    from handlers.patrol.attach import try_attach

    if try_attach(ctx):
        return
    what = WHAT.get(ctx.inbound.kind.value, "消息")
    ctx.reply(f"已收到您发的{what}。要登记事项，请用一句话说明，{EXAMPLE}。")


@handles("event:unsupported")
def unsupported(ctx: Context) -> None:
    """A message type the platform could not pass on (DingTalk's unknownMsgType, a sticker …)."""
    ctx.reply(f"暂时还看不了这类消息，请改发文字，{EXAMPLE}。谢谢！")


@handles("media:voice")
def voice(ctx: Context) -> None:
    ctx.reply(f"暂时还听不了语音，请改发文字，{EXAMPLE}。谢谢！")

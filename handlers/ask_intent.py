"""咨询问题, declared once (handlers/catalogue.py); handled by handlers/ask.py. The classifier recognises a
question by its own decisive rules (handlers/nlu/intents.py); a question carries no fields."""

from __future__ import annotations

from handlers.catalogue import Help, Intent

DECLARED = (
    Intent(
        name="ask",
        label="咨询问题",
        rank=60,
        offered=True,
        help=Help(
            "政策问答",
            "政策问答：直接提问，例如「超大支部怎么规范？」「6月底前要完成什么？」「交通补助怎么算？」，"
            "我会注明出处。也可以问自己的记录：「我这个月下村几次」「我们村还有哪些任务没完成」。",
        ),
    ),
)

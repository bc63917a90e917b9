"""The knowledge base: the plan's sections, the FAQ and the rules as documents, indexed once.

Built from what is loaded now — the active plan in the database (or the shipped one), the FAQ file and the
rules file — and rebuilt only when one of them changes, so a question costs a search, not a rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

from knowledge.faq import FaqEntry
from knowledge.plan.model import Deadline, Plan, Section
from knowledge.policy_docs import PolicyDoc, policy_docs
from knowledge.rules import Rules
from knowledge.search import BM25, FUNCTION_CHARS, STOP, Hit, Tokenizer, load_lexicon

PLAN_KINDS = ("goal", "action", "task", "guarantee")
CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")
# words of asking and everyday talk that carry no topic of their own, whatever the corpus holds
COMMON_WORDS = frozenset(
    [
        "怎么办",
        "咋办",
        "咋弄",
        "咋整",
        "干啥",
        "多少钱",
        "什么样",
        "为啥",
        "能不能",
        "行不行",
        "好不好",
        "是不是",
        "有没有",
        "要不要",
        "谁来",
        "哪里",
        "哪儿",
        "时候",
        "现在",
        "今天",
        "明天",
        "以后",
        "之前",
        "一般",
        "具体",
        "情况",
        "问题",
        "事情",
        "东西",
        "办法",
        "要求",
        "规定",
        "标准",
        "材料",
        "手续",
        "流程",
        "负责",
        "安排",
        "需要",
        "应该",
        "可以",
        "知道",
        "告诉",
        "帮忙",
        "麻烦",
        "谢谢",
        "你好",
        "请问",
    ]
)
TITLE_WEIGHT = 3  # a heading says what a section is about more surely than any sentence in it


@dataclass
class Doc:
    kind: str  # plan | faq | policy
    title: str
    answer: str  # what is said when this document answers
    source: str  # where it comes from, shown under the answer
    next: str = ""
    section: Section | None = None
    deadlines: list[Deadline] = field(default_factory=list)


def plan_docs(plan: Plan) -> list[tuple[Doc, str]]:
    out = []
    for s in plan.sections:
        if s.kind not in PLAN_KINDS:
            continue
        doc = Doc(
            "plan", s.title, s.text, f"《{plan.title}》" + (f"·{s.parent}" if s.parent else ""), "", s, s.deadlines
        )
        out.append((doc, s.title))
    return out


def faq_docs(entries: tuple[FaqEntry, ...]) -> list[tuple[Doc, str]]:
    return [
        (Doc("faq", e.title, e.answer, e.source, e.next), " ".join([e.title, *e.questions, *e.questions]))
        for e in entries
    ]


def rule_docs(rules: Rules) -> list[tuple[Doc, str]]:
    def doc(p: PolicyDoc) -> tuple[Doc, str]:
        return Doc("policy", p.title, p.text, p.source, p.next), f"{p.title} {p.terms} {p.terms}"

    return [doc(p) for p in policy_docs(rules)]


class KnowledgeBase:
    def __init__(self, plan: Plan, faq: tuple[FaqEntry, ...], rules: Rules, mode: str = "both") -> None:
        self.plan = plan
        self.tokenizer = Tokenizer(load_lexicon(), mode)
        self.docs: list[Doc] = []
        bags: list[list[str]] = []
        for doc, heading in (*plan_docs(plan), *faq_docs(faq), *rule_docs(rules)):
            body = doc.section.text if doc.section else doc.answer
            terms = self.tokenizer.terms(heading) * TITLE_WEIGHT + self.tokenizer.terms(body)
            self.docs.append(doc)
            bags.append(terms)
        self.index = BM25(bags)

    def search(self, question: str, limit: int = 5) -> list[tuple[Doc, Hit]]:
        terms = self.tokenizer.terms(self.tokenizer.expand(question))
        return [(self.docs[h.index], h) for h in self.index.search(terms, limit)]

    def key_term_missing(self, question: str) -> str | None:
        """A word of the question that no document speaks of — not the word, not any of its character pairs
        (so typos such as 三会一棵 still count as spoken of): 低保 in 「低保申请要啥材料」, 咬人 in 「狗咬人了谁负责」.
        A question whose topic no source covers is declined, however well its other words match."""
        index = self.index
        for word in self.tokenizer.jieba.lcut(question):
            if len(word) < 2 or not CJK_WORD.fullmatch(word) or word in COMMON_WORDS or word in STOP:
                continue
            if any(c in FUNCTION_CHARS for c in word):  # 哪项, 是否: the form of the question, not its topic
                continue
            pairs = [word, *("#" + word[i : i + 2] for i in range(len(word) - 1))]
            if not any(p in index.idf for p in pairs):
                return word
        return None

    @property
    def tasks(self) -> list[Section]:
        return self.plan.tasks


_cache: dict[tuple[object, ...], KnowledgeBase] = {}
_lock = Lock()


def knowledge_base(
    plan_key: object, load_plan: Callable[[], Plan], faq: tuple[FaqEntry, ...], rules: Rules
) -> KnowledgeBase:
    """One index per (plan, FAQ, rules) in this process; the plan is loaded only when its key is new (an import)."""
    key = (plan_key, id(faq), id(rules))
    with _lock:
        kb = _cache.get(key)
    if kb is None:
        kb = KnowledgeBase(load_plan(), faq, rules)
        with _lock:
            _cache.clear()  # only the newest is ever asked again
            _cache[key] = kb
    return kb

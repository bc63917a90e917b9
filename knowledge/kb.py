"""The knowledge base: the plan's sections, the FAQ and the rules as documents, indexed once.

Built from what is loaded now — the active plan in the database (or the shipped one), the FAQ file and the
rules file — and rebuilt only when one of them changes, so a question costs a search, not a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

from knowledge.faq import FaqEntry
from knowledge.plan.model import Deadline, Plan, Section
from knowledge.policy_docs import PolicyDoc, policy_docs
from knowledge.rules import Rules
from knowledge.search import BM25, Hit, Tokenizer, load_lexicon

PLAN_KINDS = ("goal", "action", "task", "guarantee")
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

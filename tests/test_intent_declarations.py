"""Each intent is declared once, next to its handler (handlers/catalogue.py), and every list the bot keeps about
intents is derived from those declarations: nothing names an intent that is not declared, and every
declaration has what its kind of intent needs. Handler modules are discovered, so a new one is loaded."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import handlers
import handlers.registry as registry
from handlers.catalogue import catalogue, declaration_modules

ROOT = Path(handlers.__file__).parent
NOT_INTENTS = ("card:", "event:", "media:")  # handler keys that are taps, events and media, not intents


@pytest.fixture(scope="module")
def loaded() -> None:
    registry.load()


def declared() -> set[str]:
    return set(catalogue().names)


def test_every_intent_is_declared_once_in_a_module_beside_its_handler() -> None:
    modules = declaration_modules()
    assert "handlers.patrol.intent" in modules and "handlers.broadcast_intent" in modules
    seen: list[str] = []
    for module in modules:
        for intent in importlib.import_module(module).DECLARED:
            seen.append(intent.name)
    assert len(seen) == len(set(seen)) == len(catalogue().intents)
    assert "other" in declared()  # the classifier's fallback


def test_every_report_intent_can_be_recognised_read_named_and_summarised() -> None:
    reports = [i for i in catalogue().intents if i.report]
    assert reports
    for intent in reports:
        assert intent.label and intent.fields and intent.evidence and intent.describe, intent.name
        assert intent.offered, f"{intent.name}: a report the bot is unsure about is offered on the clarify card"
    weighed = [i.weighed for i in catalogue().weighed]
    assert len(weighed) == len(set(weighed)), "evidence is weighed in one declared order"


def test_every_declared_form_is_registered_and_every_intent_form_is_declared(loaded: None) -> None:
    from handlers.forms.spec import SPECS

    for intent in catalogue().intents:
        if intent.form is not None:
            assert intent.report, intent.name
            assert intent.form in SPECS, f"{intent.name} declares form {intent.form!r}, which nobody registers"
    declared_forms = {i.form for i in catalogue().intents if i.form}
    for kind in SPECS:
        if kind in declared():  # a form named after an intent files that intent
            assert kind in declared_forms, f"form {kind!r} is not declared as {kind}'s form"


def test_every_declared_intent_has_a_handler_and_every_intent_handler_is_declared(loaded: None) -> None:
    for name in declared():
        assert registry.handler_for(name) is not None, f"{name} is declared but nothing handles it"
    intent_keys = {k for k in registry.registered() if not k.startswith(NOT_INTENTS)} - {"clarify"}
    assert intent_keys == declared()


def test_help_topics_and_labels_come_from_the_declarations() -> None:
    from handlers.describe import label
    from handlers.help import topics

    assert list(topics()) == [i.name for i in catalogue().intents if i.help]
    assert set(topics()) <= declared()
    by_name = catalogue().by_name
    assert all(label(name) == by_name[name].label for name in declared())


def test_the_derived_lists_match_the_declarations() -> None:
    import handlers.nlu as nlu
    import handlers.nlu.intents as classifier

    assert nlu.INTENTS == classifier.INTENTS == catalogue().names
    assert tuple(i.name for i in catalogue().intents if i.report) == classifier.REPORTS
    assert set(nlu.REQUIRED) == {i.name for i in catalogue().intents if i.fields}
    for name, fields in nlu.REQUIRED.items():
        assert fields == catalogue().by_name[name].required


def _literal_intents(path: Path) -> set[str]:
    """Intent names written as literals where the code decides or scores an intent: Verdict("ask", …),
    ev.add("leave", …), @handles("patrol")."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in ("Verdict", "add", "handles") and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
        if name == "Verdict" and len(node.args) > 2 and isinstance(node.args[2], ast.Dict):
            found |= {k.value for k in node.args[2].keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return found


def test_no_module_names_an_intent_that_is_not_declared() -> None:
    named: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        for intent in _literal_intents(path):
            if not intent.startswith(NOT_INTENTS) and intent != "clarify":
                named.setdefault(intent, set()).add(str(path.relative_to(ROOT.parent)))
    assert set(named) <= declared(), {k: v for k, v in named.items() if k not in declared()}
    assert {"patrol", "ask", "broadcast", "leave"} <= set(named)  # the scan does see them


def test_every_module_that_registers_a_handler_or_a_form_is_loaded(loaded: None) -> None:
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "@handles(" in text or "= register(" in text:
            module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
            assert module in sys.modules, f"{module} registers handlers but is not loaded"
    tap = registry.handler_for("card:form")
    assert tap is not None and tap.__module__ == "handlers.forms.tap"


def test_reading_a_message_loads_no_handler_store_or_card_code() -> None:
    code = (
        "import sys\n"
        "from handlers.nlu import understand\n"
        "assert understand('今天巡查3组，河道垃圾一处，已清理').intent == 'patrol'\n"
        "heavy = [m for m in ('sqlalchemy', 'handlers.context', 'handlers.registry', 'cards.content') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_dispatcher_acts_without_asking_back_on_the_declared_intents() -> None:
    from bot.dispatch import NEVER_CLARIFY

    assert set(NEVER_CLARIFY) == catalogue().never_clarified


def test_an_open_form_tells_a_new_report_from_an_answer_by_the_declared_words() -> None:
    for text in ("今天巡查2组", "上午开了支委会", "张三请假", "去李家村走访了5户", "下村"):
        assert catalogue().opens_report(text), text
    for text in ("公共设施，路灯坏了", "3组", "5人", "王家湾"):
        assert not catalogue().opens_report(text), text


def test_withdrawable_records_are_declared_reports_looked_for_in_their_declared_order(loaded: None) -> None:
    from handlers.withdraw import FINDERS, in_rank_order

    assert set(FINDERS) <= set(catalogue().reports)
    order = [name for name in catalogue().names if name in FINDERS]
    assert in_rank_order() == [FINDERS[name] for name in order]  # not the order discovery imported them in

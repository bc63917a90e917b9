"""The gazetteer the dispatcher hands understand(): built from the roster in the database per org scope, and
rebuilt when the roster changes (a person added)."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import Actor
from bot.respond import gazetteer_for
from bot.store.db import get_engine, session_scope
from bot.store.tables import Org, Person


def _actor(session, name: str) -> Actor:
    person = session.scalars(select(Person).where(Person.name == name)).one()
    return Actor(
        person_id=person.id,
        name=person.name,
        roles=[],
        org_id=person.org_id,
        org_path=person.org.path,
        platform="wecom",
        platform_user=person.wecom_userid or "",
    )


def test_the_senders_scope_of_the_roster(db_url: str, roster: None) -> None:
    with session_scope(get_engine(db_url)) as s:
        gz = gazetteer_for(s, _actor(s, "李明"))
        assert gz is not None
        assert {"李家村", "王家湾村", "柳树村", "1组"} <= gz.places  # the township's places
        assert "李建华" in gz.people and "林涛" not in gz.people  # the people of the sender's village
        assert gz.person("建华") == "李建华"


def test_a_person_added_to_the_roster_is_known_at_once(db_url: str, roster: None) -> None:
    with session_scope(get_engine(db_url)) as s:
        actor = _actor(s, "李明")
        before = gazetteer_for(s, actor)
        assert before is not None and before.person("建华") == "李建华"
        village = s.scalars(select(Org).where(Org.path == "清河县/石桥镇/李家村")).one()
        s.add(Person(name="赵建华", org_id=village.id))
        s.flush()
        after = gazetteer_for(s, actor)
        assert after is not None and "赵建华" in after.people
        assert after.person("建华") == "建华"  # two 建华 now: left as written

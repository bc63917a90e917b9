"""Who sees what in the 工作台 (bot/console/scope.py): a person's area as a clause in the SQL itself, and the
masking of phone and ID numbers."""

from __future__ import annotations

from sqlalchemy import select

from bot.console.scope import area_of, mask_phone, mask_text
from bot.store.db import get_engine, session_scope
from bot.store.tables import Org, Person


def people_seen_by(db_url: str, userid: str) -> set[str]:
    with session_scope(get_engine(db_url)) as s:
        viewer = s.scalars(select(Person).where(Person.wecom_userid == userid)).one()
        area = area_of(s, viewer.org_id, viewer.roles)
        return set(s.scalars(select(Person.name).where(area.holds(Person.org_id))))


def test_a_village_secretary_sees_their_village_a_township_supervisor_their_township(db_url, roster) -> None:
    village = people_seen_by(db_url, "liming")
    assert {"李明", "张伟", "李建华", "郭亮"} <= village and not village & {"王德福", "柳长青", "孙丽华"}
    township = people_seen_by(db_url, "sunlihua")
    assert {"孙丽华", "李明", "王德福", "柳长青"} <= township and "赵敏" not in township  # the county office is above
    with session_scope(get_engine(db_url)) as s:
        everyone = set(s.scalars(select(Person.name)))
    assert people_seen_by(db_url, "zhaomin") == everyone  # the administrator: everyone


def test_someone_who_manages_nobody_sees_no_one_through_the_area(db_url, roster) -> None:
    assert people_seen_by(db_url, "zhangwei") == set()


def test_a_path_that_merely_starts_alike_is_not_inside(db_url, roster) -> None:
    with session_scope(get_engine(db_url)) as s:
        township = s.scalars(select(Org).where(Org.path == "清河县/石桥镇")).one()
        s.add(Org(name="石桥镇东", kind="乡镇", parent_id=township.parent_id, path="清河县/石桥镇东"))
    with session_scope(get_engine(db_url)) as s:
        sun = s.scalars(select(Person).where(Person.wecom_userid == "sunlihua")).one()
        area = area_of(s, sun.org_id, sun.roles)
        paths = set(s.scalars(select(Org.path).where(area.org_filter())))
        assert "清河县/石桥镇东" not in paths and "清河县/石桥镇/李家村" in paths
        assert area.covers("清河县/石桥镇/李家村/1组") and not area.covers("清河县/石桥镇东")


def test_numbers_are_masked_in_fields_and_in_free_text() -> None:
    assert mask_phone("13900001101") == "139****1101"
    assert mask_phone("") == "" and mask_phone("1234") == "****"
    text = "联系人张伟13900001103，身份证110101199003071234，门牌号12号"
    masked = mask_text(text)
    assert "13900001103" not in masked and "139****1103" in masked
    assert "199003071234" not in masked and masked.count("110101") == 1
    assert "门牌号12号" in masked

"""总览 in the 工作台 over HTTP: each manager sees the figures of their own area and nothing else — the
administrator the whole county, 孙丽华 her township 石桥镇, 李明 his village 李家村 (never a figure, grid or
branch of 王家湾村) — and the SVG charts encode exactly those figures. The clock is pinned: Thursday
12 March 2026, 10:00 in Shanghai; the week began on Monday 9 March."""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

import pytest
import time_machine
from defusedxml.ElementTree import fromstring
from overview_seed import NOW, Seeded, seed

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def seeded(server) -> Seeded:
    return seed(server)


# -- reading the page -----------------------------------------------------------------------------------


def overview(console_as, user: str) -> str:
    page = console_as(user).get("/console")
    assert page.status_code == 200
    return page.text


def section(html: str, name: str) -> str:
    found = re.search(rf'<section class="card" id="{name}">(.*?)</section>', html, re.S)
    assert found, f"no {name} section"
    return found.group(1)


def task_table(html: str) -> dict[str, dict[str, int]]:
    rows = re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', section(html, "tasks"), re.S)
    return {
        unit: {k: int(v) for k, v in re.findall(r'data-state="(\w+)">(\d+)<', cells) if int(v)} for unit, cells in rows
    }


def charts(html: str, name: str) -> list[Element]:
    return [fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", section(html, name), re.S)]


def marks(svg: Element, **attrs: str) -> list[Element]:
    return [r for r in svg.iter(f"{SVG}rect") if all(r.get(f"data-{k}") == v for k, v in attrs.items())]


def bar_values(svg: Element) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for rect in marks(svg):
        if rect.get("data-series"):
            out.setdefault(rect.get("data-row", ""), {})[rect.get("data-series", "")] = int(rect.get("data-value", 0))
    return out


def grids(html: str) -> dict[str, dict[str, bool]]:
    out: dict[str, dict[str, bool]] = {}
    for village, chips in re.findall(r'<li data-village="([^"]+)">(.*?)</li>', section(html, "patrols"), re.S):
        out[village] = {
            g: seen == "yes" for g, seen in re.findall(r'data-grid="([^"]+)" data-patrolled="(\w+)"', chips)
        }
    return out


def month_cells(html: str) -> dict[str, list[str]]:
    [grid] = charts(html, "meetings")
    out: dict[str, list[str]] = {}
    for rect in marks(grid):
        out.setdefault(rect.get("data-row", ""), []).append(rect.get("data-state", ""))
    return out


def week_values(html: str, series: str) -> dict[str, int]:
    [chart] = charts(html, "events")
    return {r.get("data-column", ""): int(r.get("data-value", 0)) for r in marks(chart, series=series)}


def figure(html: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert found, name
    return int(found.group(1))


# -- the village secretary ------------------------------------------------------------------------------


def test_the_village_secretary_sees_his_village_and_nothing_of_the_next(console_as, seeded) -> None:
    html = overview(console_as, "liming")
    assert "王家湾" not in html  # no figure, grid, branch, event or notice of 王家湾村
    assert task_table(html) == {"李家村": {"done": 1, "doing": 1, "hard": 1, "late": 1, "open": 1}}
    assert figure(html, "tasks") == 5 and figure(html, "late") == 1
    # where his one late task is on the ladder: 提示 and 催办 went out, 通报 and 约谈 not
    overdue = section(html, "overdue")
    assert f'<a href="/console/tasks/{seeded.lijia_late}">活动阵地提升</a>' in overdue
    assert f"/console/tasks/{seeded.wangjia_late}" not in html
    assert re.findall(r'class="rung( on)?">(\S+?)<', overdue) == [
        (" on", "提示"),
        (" on", "催办"),
        ("", "通报"),
        ("", "约谈"),
    ]
    assert "逾期20天" in overdue  # 20 February → 12 March
    # a 村书记 approves nothing: no approvals figure, no link to a page he may not open
    assert 'id="approvals"' not in html and "/console/approvals" not in html
    assert grids(html) == {"李家村": {"1组": True, "2组": False, "3组": False}}
    assert figure(html, "grids-missing") == 2
    assert month_cells(html) == {"李家村党支部": ["yes", "yes", "yes"]}
    assert figure(html, "events-open") == 1
    assert f'href="/console/patrols/events/{seeded.lijia_event}"' in html
    assert f"/console/patrols/events/{seeded.wangjia_event}" not in html
    notices = section(html, "notices")
    assert f'href="/console/notices/{seeded.lijia_notice}"' in notices
    assert 'data-confirmed="1/3"' in notices
    assert f"/console/notices/{seeded.wangjia_notice}" not in notices


def test_the_secretarys_charts_encode_his_figures(console_as, seeded) -> None:
    html = overview(console_as, "liming")
    [bars] = charts(html, "tasks")
    assert bar_values(bars) == {"李家村": {"done": 1, "doing": 1, "hard": 1, "late": 1, "open": 1}}
    widths = {r.get("data-series"): float(r.get("width", 0)) for r in marks(bars, row="李家村")}
    assert len(set(widths.values())) == 1  # one task each: five equal segments filling the bar
    assert [r.get("fill") for r in marks(bars, row="李家村")] == ["#2e7d32", "#1565c0", "#ef6c00", "#c62828", "#9e9e9e"]
    titles = [t.text for t in bars.iter(f"{SVG}title")]
    assert "李家村 逾期 1项" in titles
    assert bars.get("viewBox", "").startswith("0 0 360 ")  # drawn to the card's width at any screen size
    # 三会一课: January and February 支委会, March 主题党日; each square says what was held
    [grid] = charts(html, "meetings")
    titles = [t.text for t in grid.iter(f"{SVG}title")]
    assert "李家村党支部 3月：主题党日" in titles and "李家村党支部 1月：支部委员会" in titles
    # events: opened in the weeks of 2 and 9 March, one 办结 in the week of 2 March
    assert week_values(html, "opened") == {
        "1/19": 0,
        "1/26": 0,
        "2/2": 0,
        "2/9": 0,
        "2/16": 0,
        "2/23": 0,
        "3/2": 1,
        "3/9": 1,
    }
    assert {k: v for k, v in week_values(html, "closed").items() if v} == {"3/2": 1}


def test_the_secretary_reads_his_branchs_cadence(console_as, seeded) -> None:
    meetings = section(overview(console_as, "liming"), "meetings")
    assert "支部委员会（每月）：本月未开；上月已开" in meetings
    assert "主题党日（每月）：本月已开1次（3月5日）；上月未开，落后" in meetings
    assert '<span class="badge late">落后</span>' in meetings


# -- the township supervisor ----------------------------------------------------------------------------


def test_the_township_supervisor_sees_each_village_of_her_township(console_as, seeded) -> None:
    html = overview(console_as, "sunlihua")
    # rows in roster (path) order, the township's own tasks first; never ordered by a count
    assert re.findall(r'<tr data-unit="([^"]+)">', html) == ["石桥镇本级", "李家村", "柳树村", "王家湾村"]
    assert task_table(html) == {
        "石桥镇本级": {"open": 1},
        "李家村": {"done": 1, "doing": 1, "hard": 1, "late": 1, "open": 1},
        "柳树村": {},
        "王家湾村": {"done": 1, "late": 2},  # 有困难 past its deadline counts as 逾期
    }
    assert figure(html, "tasks") == 9 and figure(html, "late") == 3
    overdue = section(html, "overdue")
    # oldest deadline first: 王家湾村's (1 February, 提示 only), then 李家村's
    assert re.findall(r'<a href="/console/tasks/(\d+)">', overdue)[:2] == [
        str(seeded.wangjia_late),
        str(seeded.lijia_late),
    ]
    assert re.findall(r'data-step="([^"]+)">(\d+)<', overdue) == [
        ("none", "1"),
        ("提示", "1"),
        ("催办", "1"),
        ("通报", "0"),
        ("约谈", "0"),
    ]
    approvals = section(html, "approvals")
    assert 'data-waiting="drafts">1件' in approvals and 'data-waiting="claims">2件' in approvals
    assert 'href="/console/approvals"' in approvals and figure(html, "waiting") == 3
    assert grids(html) == {
        "李家村": {"1组": True, "2组": False, "3组": False},
        "柳树村": {"1组": False, "2组": False},
        "王家湾村": {"1组": False, "2组": True},
    }
    assert month_cells(html) == {
        "李家村党支部": ["yes", "yes", "yes"],
        "柳树村党支部": ["no", "no", "open"],
        "王家湾村党支部": ["yes", "no", "open"],
    }
    assert figure(html, "events-open") == 2
    assert re.findall(r'href="/console/patrols/events/(\d+)"', html) == [
        str(seeded.wangjia_event),  # the oldest first
        str(seeded.lijia_event),
    ]
    assert week_values(html, "opened")["2/23"] == 1
    notices = section(html, "notices")
    assert 'data-confirmed="2/2"' in notices and 'data-confirmed="1/3"' in notices


def test_the_township_chart_puts_every_village_on_one_scale(console_as, seeded) -> None:
    [bars] = charts(overview(console_as, "sunlihua"), "tasks")
    assert bar_values(bars) == {
        "石桥镇本级": {"open": 1},
        "李家村": {"done": 1, "doing": 1, "hard": 1, "late": 1, "open": 1},
        "王家湾村": {"done": 1, "late": 2},
    }
    [full] = marks(bars, role="track")[:1]
    span = float(full.get("width", 0))
    [late] = marks(bars, row="王家湾村", series="late")
    assert float(late.get("width", 0)) == pytest.approx(span * 2 / 5, abs=0.01)  # 2 of the largest bar's 5
    totals = {t.get("data-total"): t.text for t in bars.iter(f"{SVG}text") if t.get("data-total")}
    assert totals == {"石桥镇本级": "1", "李家村": "5", "柳树村": "0", "王家湾村": "3"}


# -- the administrator ----------------------------------------------------------------------------------


def test_the_administrator_sees_the_county_by_township(console_as, seeded) -> None:
    html = overview(console_as, "zhaomin")
    assert task_table(html) == {"石桥镇": {"done": 2, "doing": 1, "hard": 1, "late": 3, "open": 2}}
    [bars] = charts(html, "tasks")
    assert bar_values(bars) == {"石桥镇": {"done": 2, "doing": 1, "hard": 1, "late": 3, "open": 2}}
    assert figure(html, "waiting") == 3 and figure(html, "events-open") == 2
    assert figure(html, "grids-missing") == 5  # of 7 grids, 李家村 1组 and 王家湾村 2组 patrolled
    assert set(grids(html)) == {"石桥镇 · 李家村", "石桥镇 · 柳树村", "石桥镇 · 王家湾村"}
    assert set(month_cells(html)) == {"李家村党支部", "柳树村党支部", "王家湾村党支部"}
    assert "王家湾村党员大会通知" in section(html, "notices")


def test_an_empty_area_says_so_instead_of_drawing_nothing(console_as) -> None:
    html = overview(console_as, "liming")
    assert "您管理的范围内还没有任务" in html
    assert "没有逾期任务。" in html
    assert figure(html, "events-open") == 0
    assert grids(html) == {"李家村": {"1组": False, "2组": False, "3组": False}}


def test_a_grid_member_gets_the_short_page_not_the_figures(console_as, seeded) -> None:
    html = overview(console_as, "zhangwei")
    assert "投诉建议" in html and 'id="tasks"' not in html

"""The work plan read as data: every task of the shipped plan with its deadlines, the actions, guarantees and goal,
targets, levels, deadline phrases one by one, and plan documents in .txt, .md and .docx."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from knowledge.plan.deadlines import in_body, read
from knowledge.plan.model import Deadline, Plan
from knowledge.plan.parser import PlanFileError, parse_plan, read_document
from knowledge.plan.store import SHIPPED_PLAN, shipped_plan
from knowledge.plan.targets import find_targets

D = date

# Every task of knowledge/plans/work-plan-2021.txt: code → (title, [(due, label)], level).
SHIPPED_TASKS: dict[str, tuple[str, list[tuple[date, str]], str | None]] = {
    "1-1": ("巩固村“两委”换届成果", [(D(2021, 6, 30), "")], "村"),
    "1-2": (
        "抓好乡镇领导班子换届",
        [(D(2021, 6, 30), "完成乡镇党委换届"), (D(2021, 8, 31), "完成乡镇人大、政府换届")],
        "乡镇",
    ),
    "2-1": ("完善村党组织设置", [(D(2021, 5, 31), "")], "市"),
    "2-2": ("规范村级下设党组织", [(D(2021, 12, 31), "")], "村"),
    "2-3": ("创新区域化组织体系", [(D(2021, 12, 31), "")], None),
    "2-4": ("建立健全村级配套组织", [(D(2021, 12, 31), "")], "村"),
    "2-5": ("加强乡村网格化管理", [(D(2021, 12, 31), "")], "村"),
    "3-1": ("开展乡镇领导班子科学化建设试点", [(D(2021, 12, 31), "")], "乡镇"),
    "3-2": ("规范基层党组织工作运行", [(D(2021, 12, 31), "")], "乡镇"),
    "3-3": ("开展村党组织评先定级活动", [(D(2021, 12, 31), "")], "村"),
    "3-4": ("促进党员作用发挥", [(D(2021, 12, 31), "")], "村"),
    "4-1": ("开展换届后乡村干部大培训", [(D(2021, 12, 31), "")], "市"),
    "4-2": ("实施新时代乡村头雁领航行动", [(D(2021, 9, 30), "")], "村"),
    "4-3": ("开展村干部培训基地建设", [(D(2021, 12, 31), "")], "市"),
    "5-1": ("加强“一肩挑”后全方位管理监督", [(D(2021, 9, 30), "")], "村"),
    "5-2": ("建强村务监督委员会", [(D(2021, 4, 30), "")], "村"),
    "6-1": ("实施“集体经济消薄计划”", [(D(2021, 12, 31), "")], "村"),
    "6-2": ("实施“活动阵地提升计划”", [(D(2021, 12, 31), "")], "村"),
    "6-3": ("提高乡村干部待遇保障", [(D(2021, 8, 31), "")], "乡镇"),
}

ACTIONS = [
    ("（一）", "实施“高质量换届行动”，着力建强班子队伍"),
    ("（二）", "实施“筑网强基行动”，着力健全组织体系"),
    ("（三）", "实施“先锋创建行动”，着力推动组织提升"),
    ("（四）", "实施“素质提升行动”，着力加强培训提能"),
    ("（五）", "实施“阳光村务行动”，着力健全监督体系"),
    ("（六）", "实施“保障落实行动”，着力提升保障水平"),
]
GUARANTEES = [("（七）", "压实工作责任"), ("（八）", "凝聚工作合力"), ("（九）", "强化示范引领")]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return shipped_plan()


def test_the_shipped_plan_yields_every_task_with_its_deadlines(plan: Plan) -> None:
    got = {
        t.code: (t.title, [(d.due, d.label) for d in t.deadlines], t.level)
        for t in plan.tasks  # every paragraph under an action, none lost or merged
    }
    assert got == SHIPPED_TASKS
    assert [t.code for t in plan.tasks] == list(SHIPPED_TASKS)
    assert plan.warnings == []


def test_title_year_goal_parts_actions_and_guarantees(plan: Plan) -> None:
    assert plan.title == "加强乡村基层组织建设工作方案"
    assert plan.year == 2021  # from the deadlines: the document's dates are mostly written with 2021
    assert [s.kind for s in plan.sections[:3]] == ["preamble", "goal", "part"]
    assert plan.sections[0].text.startswith("按照省委和市委关于做好两项改革")
    (goal,) = plan.of_kind("goal")
    assert (goal.number, goal.title) == ("一", "总体目标")
    assert goal.text.startswith("坚持以习近平新时代中国特色社会主义思想为指导") and goal.text.endswith(
        "安全感显著增强。"
    )
    assert [(s.number, s.title) for s in plan.of_kind("part")] == [("二", "重点任务"), ("三", "组织保障")]
    assert [(s.number, s.title) for s in plan.of_kind("action")] == ACTIONS
    assert {s.parent for s in plan.of_kind("action")} == {"重点任务"}
    guarantees = plan.of_kind("guarantee")
    assert [(s.number, s.title) for s in guarantees] == GUARANTEES
    assert {s.parent for s in guarantees} == {"组织保障"}
    assert guarantees[0].text.startswith("压实工作责任。基层组织建设情况要作为县乡党委书记")
    assert guarantees[0].level == "县" and guarantees[1].level is None


def test_tasks_keep_their_whole_paragraph_parent_and_note(plan: Plan) -> None:
    task = next(t for t in plan.tasks if t.code == "2-1")
    assert task.parent == "实施“筑网强基行动”，着力健全组织体系"
    assert task.text.startswith("完善村党组织设置。在全市开展一次村级党组织设置情况大排查")
    assert task.text.endswith("（完成时限：2021年5月底前）")
    assert task.deadline_text == "完成时限：2021年5月底前"
    assert task.deadlines == [Deadline(due=D(2021, 5, 31), raw="2021年5月底前")]
    # every line of the document is in some section
    source = SHIPPED_PLAN.read_text(encoding="utf-8")
    kept = "\n".join(s.text for s in plan.sections)
    for line in source.splitlines()[1:]:
        body = line.strip()
        if body and not body.startswith(("一、", "二、", "三、")):
            assert body.split("）", 1)[-1] in kept if body.startswith("（") else body in kept


def test_two_milestones_in_one_note(plan: Plan) -> None:
    task = next(t for t in plan.tasks if t.code == "1-2")
    assert task.deadlines == [
        Deadline(due=D(2021, 6, 30), raw="2021年6月底前", label="完成乡镇党委换届"),
        Deadline(due=D(2021, 8, 31), raw="8月底前", label="完成乡镇人大、政府换届"),
    ]


def test_targets(plan: Plan) -> None:
    found = {t.text: t for s in plan.sections for t in s.targets}
    assert set(found) == {"90%以上", "300名左右", "1万元以下"}  # not 5A、4A、3A级, not 2021年, not 1年
    assert (found["90%以上"].value, found["90%以上"].unit, found["90%以上"].qualifier) == (90, "%", "以上")
    assert found["90%以上"].context == "90%以上具备条件的农村经济组织、社会组织成立功能党组织"
    assert (found["300名左右"].value, found["300名左右"].unit, found["300名左右"].qualifier) == (300, "名", "左右")
    assert "村党组织带头人" in found["300名左右"].context
    assert (found["1万元以下"].value, found["1万元以下"].unit, found["1万元以下"].qualifier) == (1, "万元", "以下")
    assert found["1万元以下"].context == "遴选一批强村互助帮带集体经济年收入1万元以下村"


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("覆盖率达到95%以上", 95, "%", "以上"),
        ("每年不少于2次", 2, "次", "不少于"),
        ("百分之八十", None, None, None),  # numbers in characters are not read
        ("百分之80以上", 80, "%", "以上"),
        ("3.5万元左右", 3.5, "万元", "左右"),
        ("评定5A、4A、3A级村党组织", None, None, None),
        ("力争通过1年集中攻坚", None, None, None),
    ],
)
def test_target_phrases(text: str, value: float | None, unit: str | None, qualifier: str | None) -> None:
    found = find_targets(text)
    if value is None:
        assert found == []
    else:
        assert [(t.value, t.unit, t.qualifier) for t in found] == [(value, unit, qualifier)]


@pytest.mark.parametrize(
    ("note", "year", "expected"),
    [
        ("2021年6月底前", None, [D(2021, 6, 30)]),
        ("2021年12月底前", None, [D(2021, 12, 31)]),
        ("2021年底前", None, [D(2021, 12, 31)]),
        ("2021年年底前", None, [D(2021, 12, 31)]),
        ("年底前", 2026, [D(2026, 12, 31)]),
        ("年内", 2026, [D(2026, 12, 31)]),
        ("2024年2月底前", None, [D(2024, 2, 29)]),  # leap year
        ("2023年2月底前", None, [D(2023, 2, 28)]),
        ("2月底前", 2028, [D(2028, 2, 29)]),
        ("4月底前", 2026, [D(2026, 4, 30)]),  # a month without a year takes the plan's year
        ("11月底", 2026, [D(2026, 11, 30)]),
        ("六月底前", 2026, [D(2026, 6, 30)]),
        ("十二月底前", 2026, [D(2026, 12, 31)]),
        ("二〇二一年六月底前", None, [D(2021, 6, 30)]),
        ("上半年", 2026, [D(2026, 6, 30)]),
        ("2026年上半年", None, [D(2026, 6, 30)]),
        ("下半年", 2026, [D(2026, 12, 31)]),
        ("年中", 2026, [D(2026, 6, 30)]),
        ("第一季度", 2026, [D(2026, 3, 31)]),
        ("二季度末", 2026, [D(2026, 6, 30)]),
        ("第三季度末前", 2026, [D(2026, 9, 30)]),
        ("四季度", 2026, [D(2026, 12, 31)]),
        ("6月上旬", 2026, [D(2026, 6, 10)]),
        ("6月中旬", 2026, [D(2026, 6, 20)]),
        ("9月下旬", 2026, [D(2026, 9, 30)]),
        ("3月初", 2026, [D(2026, 3, 10)]),
        ("6月15日前", 2026, [D(2026, 6, 15)]),
        ("2026年10月1日前", None, [D(2026, 10, 1)]),
        ("2026年4月至6月", None, [D(2026, 6, 30)]),  # a range ends with its last part
        ("2025年12月底前完成摸底，2026年3月底前完成整改", None, [D(2025, 12, 31), D(2026, 3, 31)]),
        ("2021年6月底前完成乡镇党委换届，8月底前完成乡镇人大、政府换届", 2030, [D(2021, 6, 30), D(2021, 8, 31)]),
        ("长期坚持", 2026, []),
        ("持续推进", 2026, []),
        ("每季度末", 2026, []),
        ("6月底前", None, []),  # no year anywhere: not guessed
        ("2026年2月30日前", None, []),  # no such day
    ],
)
def test_deadline_phrases(note: str, year: int | None, expected: list[date]) -> None:
    assert [d.due for d in read(note, year).deadlines] == expected


def test_open_ended_and_unread_notes_are_said_so() -> None:
    assert read("长期坚持", 2026).open_ended and read("持续推进", 2026).open_ended
    assert not read("2026年6月底前", None).open_ended
    assert read("6月底前", None).unread == ["6月底前"]
    assert read("2026年2月30日前", None).unread == ["2026年2月30日前"]


def test_labels_only_for_milestones_and_before_or_after_the_date() -> None:
    assert read("2026年6月底前", None).deadlines[0].label == ""
    assert read("2026年6月底前完成", None).deadlines[0].label == ""  # one date: no label needed
    before = read("完成摸底：5月底前；完成整改：10月底前", 2026).deadlines
    assert [(d.due, d.label) for d in before] == [(D(2026, 5, 31), "完成摸底"), (D(2026, 10, 31), "完成整改")]


def test_dates_in_the_body() -> None:
    found, unread = in_body(
        "鼓励设立党小组。2021年底前，90%以上具备条件的组织成立功能党组织。2021年6月，市委印发通知。", None
    )
    assert found == [Deadline(due=D(2021, 12, 31), raw="2021年底前", label="90%以上具备条件的组织成立功能党组织")]
    assert unread == []
    assert in_body("摸底前要通知到户，力争3年内见效。", 2026) == ([], [])  # 摸底前, 3年内 are not dates


SYNTHETIC = """2026年基层治理工作方案
一、工作目标
到年底，全县村级组织全面过硬。
二、主要任务
（一）实施“强基行动”
开展摸底排查。全面排查村级组织运行情况。（完成时限：6月底前）
建设活动阵地。9月底前，完成首批阵地改造；全面推进阵地提升。（完成时限：12月底前）
健全议事制度。12月底前，各村健全村民议事会。
推进网格化管理。常态化开展网格巡查。（完成时限：长期坚持）
落实乡镇联系制度。乡镇干部包村联户。（责任单位：各乡镇；完成时限：上半年）
（二）“六个一”
1．开展一次全覆盖培训。县委组织部统筹，对村“两委”成员开展培训。（牵头单位：县委组织部；完成时限：第三季度末）
三、保障措施
（三）加强组织领导
各乡镇要高度重视，明确专人负责。
"""


def test_a_plan_with_no_years_in_its_notes_and_body_milestones() -> None:
    plan = parse_plan(SYNTHETIC)
    assert plan.year == 2026  # no dated note: the year in the title
    tasks = {t.code: t for t in plan.tasks}
    assert tasks["1-1"].deadlines == [Deadline(due=D(2026, 6, 30), raw="6月底前")]
    # a body date the note does not have is an extra, labelled milestone
    assert [(d.due, d.label) for d in tasks["1-2"].deadlines] == [
        (D(2026, 9, 30), "完成首批阵地改造"),
        (D(2026, 12, 31), ""),
    ]
    # no note: the body's date is the deadline
    assert tasks["1-3"].deadlines == [Deadline(due=D(2026, 12, 31), raw="12月底前")]
    assert tasks["1-4"].deadlines == [] and tasks["1-4"].open_ended
    assert tasks["1-5"].deadlines == [Deadline(due=D(2026, 6, 30), raw="上半年")]
    assert tasks["1-5"].level == "乡镇"  # 责任单位：各乡镇
    assert (tasks["2-1"].number, tasks["2-1"].title, tasks["2-1"].level) == ("1", "开展一次全覆盖培训", "县")
    assert tasks["2-1"].deadlines == [Deadline(due=D(2026, 9, 30), raw="第三季度末")]
    assert [s.title for s in plan.of_kind("guarantee")] == ["加强组织领导"]
    assert plan.of_kind("guarantee")[0].text == "加强组织领导\n各乡镇要高度重视，明确专人负责。"
    assert plan.of_kind("goal")[0].text == "到年底，全县村级组织全面过硬。"
    assert plan.warnings == []


def test_the_year_given_places_months_written_without_one() -> None:
    text = SYNTHETIC.replace("2026年基层治理工作方案", "基层治理工作方案")
    assert parse_plan(text).year is None
    unplaced = parse_plan(text)
    assert all(t.deadlines == [] for t in unplaced.tasks)
    assert any("6月底前" in w and "--year" in w for w in unplaced.warnings)
    placed = parse_plan(text, year=2027)
    assert placed.year == 2027
    assert placed.tasks[0].deadlines == [Deadline(due=D(2027, 6, 30), raw="6月底前")]


def test_the_year_most_dates_use_wins_and_explicit_years_stay() -> None:
    text = (
        "方案\n二、重点任务\n（一）行动\n甲。（完成时限：2021年6月底前）\n乙。（完成时限：2021年9月底前）\n"
        "丙。（完成时限：2022年3月底前）\n丁。（完成时限：10月底前）\n"
    )
    plan = parse_plan(text)
    assert plan.year == 2021
    assert [t.deadlines[0].due for t in plan.tasks] == [D(2021, 6, 30), D(2021, 9, 30), D(2022, 3, 31), D(2021, 10, 31)]
    again = parse_plan(text, year=2030)  # the year given is for months without one; written years stay
    assert [t.deadlines[0].due for t in again.tasks] == [
        D(2021, 6, 30),
        D(2021, 9, 30),
        D(2022, 3, 31),
        D(2030, 10, 31),
    ]


def test_a_note_that_cannot_be_read_is_reported() -> None:
    plan = parse_plan("方案\n二、重点任务\n（一）行动\n甲。（完成时限：视情况而定）\n乙。没有时限。\n", year=2026)
    assert [t.deadlines for t in plan.tasks] == [[], []]
    assert any("视情况而定" in w for w in plan.warnings) and any("「乙」没有写完成时限" in w for w in plan.warnings)


def test_empty_and_shapeless_text() -> None:
    assert parse_plan("").tasks == [] and parse_plan("").title == ""
    assert parse_plan("只是一段话，没有任何结构。").tasks == []


# -- documents ---------------------------------------------------------------------------------------------


def test_read_txt_in_utf8_and_gb18030(tmp_path: Path) -> None:
    text = SHIPPED_PLAN.read_text(encoding="utf-8")
    utf8, gbk = tmp_path / "a.txt", tmp_path / "b.txt"
    utf8.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # with a BOM, as Notepad saves it
    gbk.write_bytes(text.encode("gb18030"))
    assert read_document(utf8) == text
    assert read_document(gbk) == text
    assert [t.code for t in parse_plan(read_document(gbk)).tasks] == list(SHIPPED_TASKS)


def test_read_markdown(tmp_path: Path) -> None:
    text = SHIPPED_PLAN.read_text(encoding="utf-8")
    lines = text.splitlines()
    md = ["# " + lines[0], "", "---"]
    for line in lines[1:]:
        if line.startswith(("一、", "二、", "三、")):
            md.append("## " + line)
        elif line.startswith("（"):
            md.append("### **" + line + "**")
        else:
            md.append(line.replace("完善村党组织设置。", "**完善村党组织设置**。").replace("大排查", "*大排查*"))
        md.append("")
    path = tmp_path / "plan.md"
    path.write_text("\n".join(md), encoding="utf-8")
    read_back = read_document(path)
    assert "#" not in read_back and "**" not in read_back and "*大排查*" not in read_back
    plan = parse_plan(read_back)
    assert plan.title == "加强乡村基层组织建设工作方案"
    assert {t.code: (t.title, [(d.due, d.label) for d in t.deadlines], t.level) for t in plan.tasks} == SHIPPED_TASKS
    assert [(s.number, s.title) for s in plan.of_kind("action")] == ACTIONS


def test_read_docx(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    lines = SHIPPED_PLAN.read_text(encoding="utf-8").splitlines()
    document.add_heading(lines[0], level=1)
    for line in lines[1:]:
        document.add_paragraph(line)
    path = tmp_path / "plan.docx"
    document.save(str(path))
    plan = parse_plan(read_document(path))
    assert plan.title == "加强乡村基层组织建设工作方案"
    assert {t.code: (t.title, [(d.due, d.label) for d in t.deadlines], t.level) for t in plan.tasks} == SHIPPED_TASKS
    assert [(s.number, s.title) for s in plan.of_kind("guarantee")] == GUARANTEES


def test_unreadable_documents(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(PlanFileError, match="无法打开 Word 文件"):
        read_document(broken)
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(PlanFileError, match="不支持的文件类型"):
        read_document(pdf)
    binary = tmp_path / "noise.txt"
    binary.write_bytes(bytes([0x81, 0x20, 0xFF, 0xFE, 0x00, 0x81]) * 3)
    with pytest.raises(PlanFileError, match="编码"):
        read_document(binary)


# -- plans of other shapes ---------------------------------------------------------------------------------

Row = tuple[str, date | None, str, str, bool]  # title, last deadline, owner, recurrence, open_ended


def _rows(plan: Plan) -> list[Row]:
    return [
        (t.title, max((d.due for d in t.deadlines), default=None), t.owner, t.recurrence, t.open_ended)
        for t in plan.tasks
    ]


SHAPES: dict[str, tuple[str, int, list[Row]]] = {
    "stages with date ranges in brackets, on their own line, and led by a date": (
        "2025年秸秆禁烧工作方案\n一、实施步骤\n（一）宣传动员阶段（5月6日至5月15日）\n召开动员会。\n"
        "（二）巡查管控阶段\n时间：5月16日至6月30日。\n（三）总结阶段：2025年9月至10月中旬。形成报告。\n"
        "二、时间安排\n2025年11月：全面复查；12月底前，上报总结。\n",
        2025,
        [
            ("宣传动员阶段", D(2025, 5, 15), "", "", False),
            ("巡查管控阶段", D(2025, 6, 30), "", "", False),
            ("总结阶段", D(2025, 10, 20), "", "", False),
            ("全面复查", D(2025, 11, 30), "", "", False),
            ("上报总结", D(2025, 12, 31), "", "", False),
        ],
    ),
    "a deadline in brackets without the word 完成时限": (
        "2023年工作方案\n一、重点任务\n（一）修缮祠堂。完成屋面翻修（2023年7月底前）。\n（二）清理河道(6月底前完成)\n",
        2023,
        [("修缮祠堂", D(2023, 7, 31), "", "", False), ("清理河道", D(2023, 6, 30), "", "", False)],
    ),
    "责任单位 / 牵头单位 / 完成时限 on lines of their own": (
        "2026年安全生产方案\n一、主要任务\n（一）排查燃气隐患\n对餐饮店逐户检查。\n责任单位：镇安办、各村（社区）\n"
        "完成时限：2026年5月31日前\n（二）整治电动车充电\n牵头单位：派出所\n完成时限：长期坚持\n",
        2026,
        [
            ("排查燃气隐患", D(2026, 5, 31), "镇安办、各村（社区）", "", False),
            ("整治电动车充电", None, "派出所", "", True),
        ],
    ),
    "a （一） heading with its deadline and its body on one line": (
        "2024年春耕方案\n一、任务\n（一）育秧（2024年4月底前）。建集中育秧点3个。\n"
        "（二）整修水渠（5月底前完成）：清淤2公里。\n",
        2024,
        [("育秧", D(2024, 4, 30), "", "", False), ("整修水渠", D(2024, 5, 31), "", "", False)],
    ),
    "items numbered 1、 1. ① with no （一） headings, and 1.（1） nested": (
        "坳头村2024年工作要点\n村“两委”商定如下：\n1、修通组路。6月15日前完成。\n2. 建文化广场（9月底前）\n"
        "3.（1）补种行道树（3月底前）\n（2）安装路灯\n",
        2024,
        [
            ("修通组路", D(2024, 6, 15), "", "", False),
            ("建文化广场", D(2024, 9, 30), "", "", False),
            ("补种行道树", D(2024, 3, 31), "", "", False),
            ("安装路灯", None, "", "", False),
        ],
    ),
    "items numbered ① ②": (
        "2024年支部工作\n①每月开一次院坝会\n②建立党员台账（2024年8月底前）\n",
        2024,
        [("每月开一次院坝会", None, "", "monthly", True), ("建立党员台账", D(2024, 8, 31), "", "", False)],
    ),
    "recurring work": (
        "2024年村务安排\n一、日常工作\n（一）周例会。每周一碰头。\n（二）财务公开（完成时限：每季度）\n"
        "（三）年终述职。每年年底述职。\n（四）评议。每半年一次。\n（五）巡河（长期坚持）\n",
        2024,
        [
            ("周例会", None, "", "weekly", True),
            ("财务公开", None, "", "quarterly", True),
            ("年终述职", None, "", "yearly", True),
            ("评议", None, "", "", True),
            ("巡河", None, "", "", True),
        ],
    ),
    "the table shape the .docx import writes": (
        "2025年任务分解\n（1）开展入户走访。（责任单位：各村（社区）；完成时限：2025年6月26日前）\n"
        "（2）建立台账。（责任单位：镇民政办；完成时限：）\n",
        2025,
        [
            ("开展入户走访", D(2025, 6, 26), "各村（社区）", "", False),
            ("建立台账", None, "镇民政办", "", False),
        ],
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_plan_shapes(shape: str) -> None:
    text, year, rows = SHAPES[shape]
    plan = parse_plan(text)
    assert plan.year == year
    assert _rows(plan) == rows
    for task in plan.tasks:  # titles are clean: no bracketed note left
        assert not any(word in task.title for word in ("完成时限", "责任单位", "（", "(", "月底前"))


def test_a_stage_keeps_its_start() -> None:
    plan = parse_plan(
        "2024年方案\n三、方法步骤\n（一）动员部署阶段（4月10日至20日）\n（二）整改阶段（2024年9月至10月中旬）\n"
    )
    assert [(t.start, t.deadlines[0].due) for t in plan.tasks] == [
        (D(2024, 4, 10), D(2024, 4, 20)),
        (D(2024, 9, 1), D(2024, 10, 20)),
    ]


def test_every_undated_task_is_named_and_a_plan_without_dates_imports() -> None:
    plan = parse_plan(
        "移风易俗实施意见\n一、主要措施\n（一）修订村规民约。报村民代表会议通过。\n（二）健全红白理事会。明确标准。\n"
    )
    assert [t.title for t in plan.tasks] == ["修订村规民约", "健全红白理事会"]
    assert plan.year is None and all(not t.deadlines and not t.open_ended for t in plan.tasks)
    assert "「修订村规民约」没有写完成时限" in plan.warnings[0] and "「健全红白理事会」" in plan.warnings[1]
    assert "没有读出任何完成时限" in plan.warnings[-1]
    mixed = parse_plan("2024年方案\n一、任务\n（一）甲。（2024年5月底前）\n（二）乙。无期限。\n（三）丙（长期坚持）\n")
    assert [w for w in mixed.warnings] == ["「乙」没有写完成时限"]  # open-ended 丙 is not undated


@pytest.mark.parametrize(
    ("text", "year"),
    [
        # issued in December, months before December: for the next year
        ("惠民实事方案\n一、项目\n（一）修路（3月底前）\n（二）建站（10月底前）\n\n某镇人民政府\n2023年12月26日", 2024),
        # issued in spring for the same year
        ("惠民实事方案\n一、项目\n（一）修路（5月底前）\n（二）建站（10月底前）\n\n某镇人民政府\n2023年3月2日", 2023),
        # 明年 in a note, issued in November
        ("方案\n一、项目\n（一）修路（完成时限：明年6月底前）\n\n2023年11月20日印发", 2024),
        # the title's year wins over a date in the body and the issue date
        ("2024年工作方案\n经2023年12月8日会议研究：\n一、项目\n（一）修路（3月底前）\n\n2023年12月10日", 2024),
        # the year most deadlines are written with, when the title has none
        ("方案\n一、项目\n（一）甲（2022年3月底前）\n（二）乙（2022年6月底前）\n（三）丙（2023年1月底前）", 2022),
    ],
)
def test_the_year_the_deadlines_need(text: str, year: int) -> None:
    plan = parse_plan(text)
    assert plan.year == year
    assert all(d.due.year >= year for t in plan.tasks for d in t.deadlines)


def test_the_next_year_in_a_note_is_placed_by_the_issue_date() -> None:
    plan = parse_plan("方案\n一、项目\n（一）修路（完成时限：明年6月底前）\n\n2023年11月20日印发")
    assert plan.tasks[0].deadlines[0].due == D(2024, 6, 30)
    assert "2023年11月20日印发" not in "\n".join(s.text for s in plan.sections)  # the 落款 is no task text


def test_attachments_and_signature_are_not_tasks() -> None:
    plan = parse_plan(
        "2024年方案\n一、任务\n（一）修路。（2024年6月底前）\n附件：1．任务清单\n2．联系人名单\n\n某村村民委员会\n2024年3月1日"
    )
    assert [t.title for t in plan.tasks] == ["修路"] and plan.tasks[0].text == "修路。（2024年6月底前）"


def test_an_item_heading_passes_its_deadline_and_owner_to_the_items_under_it() -> None:
    plan = parse_plan(
        "2024年方案\n一、任务\n（一）道路提升（责任单位：交管站；完成时限：8月底前）\n1．硬化村道。\n2．安装护栏（6月底前）\n"
    )
    assert _rows(plan) == [
        ("硬化村道", D(2024, 8, 31), "交管站", "", False),
        ("安装护栏", D(2024, 6, 30), "交管站", "", False),
    ]
    assert len({t.code for t in plan.tasks}) == 2


def test_the_tuned_plan_set_scores() -> None:
    from knowledge.plan.evaluate import plan_files, score_plan

    folder = Path(__file__).parent / "data" / "plans" / "tuned"
    scores = [
        score_plan(p, json.loads(p.with_name(p.stem + ".expected.json").read_text("utf-8")))
        for p in plan_files([str(folder)])
    ]
    assert len(scores) >= 7 and all(s.imported and s.year_right for s in scores)
    expected, found = sum(s.expected for s in scores), sum(s.found for s in scores)
    assert found / expected >= 0.9 and sum(s.due_right for s in scores) / found >= 0.9


def test_evaluate_matching_is_one_to_one() -> None:
    from knowledge.plan.evaluate import match, similarity

    assert similarity("开展隐患排查", "全面开展隐患排查整治") == 1.0  # containment
    assert similarity("健全红白理事会", "建好活动阵地") < 0.5
    assert match(["修路", "修路"], ["修路"]) == {0: 0}  # one parsed task matches one expected task


def test_a_winter_plan_keeps_the_year_it_starts_in() -> None:
    plan = parse_plan(
        "关于印发《冬修水利方案》的通知\n一、实施步骤\n（一）发动阶段（2018年11月1日—11月30日）\n"
        "（二）施工阶段（2018年12月1日—2019年2月28日）\n（三）验收阶段（2019年3月1日—3月31日）\n"
    )
    assert (plan.title, plan.year) == ("冬修水利方案", 2018)
    assert [(t.start, t.deadlines[0].due) for t in plan.tasks] == [
        (D(2018, 11, 1), D(2018, 11, 30)),
        (D(2018, 12, 1), D(2019, 2, 28)),
        (D(2019, 3, 1), D(2019, 3, 31)),
    ]
    assert plan.tasks[1].deadline_text == "2018年12月1日—2019年2月28日"


def test_which_parts_hold_tasks_and_which_brackets_are_notes() -> None:
    plan = parse_plan(
        "2024年方案\n一、基本情况\n1．全村共312户。\n二、目标任务\n（一）新修水渠（2024年5月底前）\n"
        "（二）召开总结会（2023年12月8日会议）\n三、责任分工\n1．村委会：负责组织实施。\n四、保障措施\n（一）加强领导。\n"
    )
    assert [(t.title, [d.due for d in t.deadlines]) for t in plan.tasks] == [
        ("新修水渠", [D(2024, 5, 31)]),
        ("召开总结会（2023年12月8日会议）", []),  # a dated remark is not a deadline: left in the title, no date
    ]
    assert [s.title for s in plan.of_kind("guarantee")] == ["加强领导"]


def test_a_task_table_after_the_guarantees_or_an_attachment_header_is_read() -> None:
    plan = parse_plan(
        "2025年方案\n一、主要任务\n（一）排查隐患。（2025年4月底前）\n二、保障措施\n（一）加强领导。成立专班。\n"
        "（二）开展入户宣传。（责任单位：镇宣传办；完成时限：2025年6月底前）\n附件\n任务分解表\n"
        "（1）建立台账。（责任单位：镇民政办；完成时限：2025年5月底前）\n"
    )
    assert [(t.title, t.owner, t.deadlines[0].due) for t in plan.tasks] == [
        ("排查隐患", "", D(2025, 4, 30)),
        ("开展入户宣传", "镇宣传办", D(2025, 6, 30)),
        ("建立台账", "镇民政办", D(2025, 5, 31)),
    ]
    assert [s.title for s in plan.of_kind("guarantee")] == ["加强领导"]
    assert len({t.code for t in plan.tasks}) == 3

"""A Word plan → the lines the parser reads (knowledge/plan/word.py): paragraphs and tables in document order; a
task table's rows → "（N）任务。内容（责任单位：…；完成时限：…）" whatever the order and wording of its header, with
merged and multi-line cells; any other table → plain lines. And the Word fixtures: committed, up to date with
their generator, and each with its expected tasks."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from docx import Document

from knowledge.plan.parser import PlanFileError, read_document
from knowledge.plan.word import cn_number, document_lines, rows_to_lines

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "plans" / "docx"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_plan_fixtures", ROOT / "scripts" / "make-plan-fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
PLANS: dict[str, dict[str, Any]] = GENERATOR.PLANS


def rows(*cells: list[str | list[str]]) -> list[list[list[str]]]:
    """Rows of cells as the reader sees them: a cell is its lines."""
    return [[c if isinstance(c, list) else [c] if c else [] for c in row] for row in cells]


# -- tables, one by one --------------------------------------------------------------------------------------


def test_a_task_table_becomes_numbered_task_lines_with_owner_and_deadline() -> None:
    lines, numbered = rows_to_lines(
        rows(
            ["序号", "工作任务", "责任单位", "完成时限"],
            ["1", "建立村级议事协商制度", "各村党组织", "2025年5月底前"],
            ["2", "开展人居环境整治", "乡农业农村办", "2025年10月31日"],
        )
    )
    assert lines == [
        "（一）建立村级议事协商制度。（责任单位：各村党组织；完成时限：2025年5月底前）",
        "（二）开展人居环境整治。（责任单位：乡农业农村办；完成时限：2025年10月31日）",
    ]
    assert numbered == 2


def test_header_in_any_order_and_other_words_and_numbering_goes_on_from_earlier_tables() -> None:
    lines, numbered = rows_to_lines(
        rows(
            ["时间节点", "牵头单位", "重点任务", "配合单位"],
            ["9月中旬", "镇综治办", "平安村创建", "派出所"],
        ),
        numbered=11,
    )
    assert lines == ["（十二）平安村创建。（责任单位：镇综治办；配合单位：派出所；完成时限：9月中旬）"]
    assert numbered == 12


def test_a_title_row_above_the_header_and_a_group_row_inside_stay_lines_of_their_own() -> None:
    lines, _ = rows_to_lines(
        rows(
            ["附表：重点工作任务分解表", "附表：重点工作任务分解表", "附表：重点工作任务分解表"],
            ["工作内容", "责任主体", "完成时间"],
            ["一、产业发展", "一、产业发展", "一、产业发展"],
            ["发展村集体经济", "村两委", "年底前"],
        )
    )
    assert lines == [
        "附表：重点工作任务分解表",
        "一、产业发展",
        "（一）发展村集体经济。（责任单位：村两委；完成时限：年底前）",
    ]


def test_merged_and_multi_line_cells() -> None:
    """A 责任单位 merged down over two rows gives both rows the unit; a task cell of two paragraphs is title and
    body; two units on two lines are joined with 、; brackets inside a cell do not close the note early."""
    lines, _ = rows_to_lines(
        rows(
            ["重点任务", "具体内容", "责任单位", "完成时限"],
            [["党员冬训", "分三批进行"], "集中培训不少于32学时", "镇党委组织办", "3月31日前"],
            ["后备干部培养", "每村储备2名", "镇党委组织办", "6月底前（第一批）"],
            ["阵地建设", "", ["镇党建办", "各村党组织"], ""],
        )
    )
    assert lines == [
        "（一）党员冬训。分三批进行。集中培训不少于32学时。（责任单位：镇党委组织办；完成时限：3月31日前）",
        "（二）后备干部培养。每村储备2名。（责任单位：镇党委组织办；完成时限：6月底前〔第一批〕）",
        "（三）阵地建设。（责任单位：镇党建办、各村党组织）",
    ]


def test_a_task_cell_merged_over_several_items_takes_each_item_from_the_detail_column() -> None:
    lines, _ = rows_to_lines(
        rows(
            ["重点任务", "具体措施", "责任单位", "完成时限"],
            ["强化阵地建设", "改造村级活动场所", "镇党建办", "6月底前"],
            ["强化阵地建设", "建设党群服务驿站", "镇党建办", "9月底前"],
        )
    )
    assert lines == [
        "（一）强化阵地建设。改造村级活动场所。（责任单位：镇党建办；完成时限：6月底前）",
        "（二）建设党群服务驿站。（责任单位：镇党建办；完成时限：9月底前）",
    ]


def test_a_table_without_task_owner_and_time_headers_is_plain_lines() -> None:
    lines, numbered = rows_to_lines(
        rows(["单位", "联系人", "电话"], ["镇党建办", "王敏", "0731-5551234"], ["", "", ""]), numbered=3
    )
    assert lines == ["单位，联系人，电话", "镇党建办，王敏，0731-5551234"]
    assert numbered == 3  # a plain table numbers nothing
    # a time column that gives no times, and nobody responsible: a list of people, not of tasks
    lines, _ = rows_to_lines(rows(["工作项目", "联系人", "时间"], ["调解室", "赵强", "工作日"]))
    assert lines == ["工作项目，联系人，时间", "调解室，赵强，工作日"]


def test_a_dated_schedule_without_anyone_responsible_is_a_task_table() -> None:
    lines, _ = rows_to_lines(rows(["工作任务", "完成时限"], ["整治村容村貌", "6月底前"], ["清理河道", "每季度"]))
    assert lines == ["（一）整治村容村貌。（完成时限：6月底前）", "（二）清理河道。（完成时限：每季度）"]


def test_chinese_numbers_for_the_rows() -> None:
    assert [cn_number(n) for n in (1, 9, 10, 11, 20, 23, 99, 100, 105, 120)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
        "九十九",
        "一百",
        "一百零五",
        "一百二十",
    ]


def test_a_real_docx_table_in_document_order_with_merged_cells(tmp_path: Path) -> None:
    document = Document()
    document.add_paragraph("二、重点任务")
    table = document.add_table(rows=3, cols=3)
    for r, values in enumerate(
        (("工作任务", "责任单位", "完成时限"), ("甲项工作", "镇党建办", "5月底前"), ("乙项工作", "", "7月底前"))
    ):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(1, 1).merge(table.cell(2, 1))  # 镇党建办 over both rows
    table.cell(2, 0).paragraphs[0].text = "乙项工作"
    table.cell(2, 0).add_paragraph("分两步完成")
    document.add_paragraph("三、保障措施")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    assert read_document(path).splitlines() == [
        "二、重点任务",
        "（一）甲项工作。（责任单位：镇党建办；完成时限：5月底前）",
        "（二）乙项工作。分两步完成。（责任单位：镇党建办；完成时限：7月底前）",
        "三、保障措施",
    ]


def test_a_file_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    path.write_bytes(b"not a zip")
    with pytest.raises(PlanFileError):
        read_document(path)


# -- the fixtures ------------------------------------------------------------------------------------------


def _paragraph_lines(blocks: list[tuple[str, Any]]) -> list[str]:
    """What a plan without tables reads as: every paragraph as written; the 落款 after an empty line."""
    lines: list[str] = []
    for kind, value in blocks:
        assert kind != "table"
        lines += ["", *value.split("\n")] if kind == "sign" else [value]
    return lines


@pytest.mark.parametrize("stem", sorted(PLANS))
def test_each_fixture_is_committed_and_up_to_date_with_its_generator(stem: str, tmp_path: Path) -> None:
    committed = FIXTURES / f"plan-{stem}.docx"
    fresh = tmp_path / committed.name
    GENERATOR.build(PLANS[stem]["blocks"]).save(str(fresh))
    assert document_lines(Document(str(committed))) == document_lines(Document(str(fresh)))
    expected = json.loads((FIXTURES / f"plan-{stem}.expected.json").read_text(encoding="utf-8"))
    assert expected["year"] == PLANS[stem]["year"]
    assert [(t["title"], t["due"], t["owner"]) for t in expected["tasks"]] == [tuple(t) for t in PLANS[stem]["tasks"]]


@pytest.mark.parametrize("stem", sorted(s for s, plan in PLANS.items() if all(k != "table" for k, _ in plan["blocks"])))
def test_a_plan_without_tables_reads_as_its_paragraphs_in_order(stem: str) -> None:
    lines = read_document(FIXTURES / f"plan-{stem}.docx").split("\n")
    assert lines == _paragraph_lines(PLANS[stem]["blocks"])


def test_the_table_fixture_reads_as_task_lines_where_its_tables_stand() -> None:
    lines = read_document(FIXTURES / "plan-table.docx").split("\n")
    at = lines.index("具体任务见下表：")
    assert lines[at + 1 : at + 6] == [
        "2024年基层党建重点任务清单",
        "（一）村级组织星级评定。组织开展村党组织星级评定，评定结果张榜公示。（责任单位：镇党建办；完成时限：2024年11月底前）",
        "（二）党员冬春训。分批次开展党员集中培训。每名党员学时不少于32学时。（责任单位：镇党建办；完成时限：2024年3月31日前）",
        "（三）后备力量培养。每村储备村级后备力量2名以上。（责任单位：各村党组织、镇组织委员；完成时限：2024年9月底前）",
        "（四）党建信息报送。每月报送党建动态信息不少于2条。（责任单位：各村党组织；完成时限：长期坚持）",
    ]
    assert lines[at + 6 : at + 9] == [
        "三、重点项目",
        "（五）新建党群服务驿站。（责任单位：镇党建办；配合单位：镇财政所；完成时限：2024年8月31日）",
        "（六）打造红色教育基地。（责任单位：镇宣传办〔文化站〕；配合单位：相关村；完成时限：2024年10月底前）",
    ]
    assert "单位，联系人，电话" in lines and lines.index("单位，联系人，电话") > lines.index("四、工作要求")
    assert lines[-2:] == ["中共石门镇委员会", "2024年2月20日"]


@pytest.mark.parametrize("stem", sorted(PLANS))
def test_every_expected_task_is_written_in_its_plan(stem: str) -> None:
    """The expected tasks are the plan's own: each title stands in the text, each owner as the plan writes it."""
    text = read_document(FIXTURES / f"plan-{stem}.docx")
    expected = json.loads((FIXTURES / f"plan-{stem}.expected.json").read_text(encoding="utf-8"))
    assert expected["tasks"]
    for task in expected["tasks"]:
        assert task["title"] in text
        if task["owner"]:
            assert task["owner"].replace("（", "〔").replace("）", "〕") in text


def test_the_tuned_table_set_reads_right() -> None:
    """tests/data/plans/tables/tuned.json through the scorer (scripts/score-plan-tables.py): every row right."""
    spec = importlib.util.spec_from_file_location("score_plan_tables", ROOT / "scripts" / "score-plan-tables.py")
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    cases = json.loads((ROOT / "tests" / "data" / "plans" / "tables" / "tuned.json").read_text(encoding="utf-8"))
    for case in cases:
        cells = [[[s for s in cell.split("\n") if s] for cell in row] for row in case["rows"]]
        got = [t for line in rows_to_lines(cells)[0] if (t := scorer.read(line)) is not None]
        assert got == case["tasks"], case["name"]

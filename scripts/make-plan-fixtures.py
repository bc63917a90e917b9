"""Write the Word work-plan fixtures in tests/data/plans/docx/: one plan per shape that `cadrebot plan import`
must read (stages with date ranges, bracketed deadlines, 责任单位/完成时限 lines of their own, a heading with its
deadline and body on one line, items numbered 1、2、, task tables, recurring work, no deadlines at all, a plan
issued in December for the next year), each made with python-docx the way offices make them: a title, a 文号 or
issuing line, headings as styled paragraphs with their numbering typed in, a signature block (落款) and its date.
Next to each plan, <stem>.expected.json: {"year": …, "tasks": [{"title", "due", "owner"}]} — what a reader of
the plan would list as its tasks (knowledge/plan/evaluate.py scores the parser against it).

The plans are written for these fixtures (places and offices are invented); run again after changing one:

    .venv/bin/python scripts/make-plan-fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "plans" / "docx"

# A plan is a list of blocks: ("title" | "doc_no" | "h1" | "h2" | "p" | "sign", text) or ("table", rows) where
# rows are lists of cells; a cell is its text ("\n" between paragraphs), or None where the cell above is merged
# down into it, or "<" where the cell to the left is merged across.
Block = tuple[str, Any]

PLANS: dict[str, dict[str, Any]] = {
    "stages": {
        "blocks": [
            ("title", "白石镇2024年“清廉村居”建设工作方案"),
            ("doc_no", "白石党发〔2024〕5号"),
            (
                "p",
                "为深入推进全面从严治党向基层延伸，打通清廉建设“最后一公里”，经镇党委研究，决定在全镇开展“清廉村居”建设，现制定如下方案。",
            ),
            ("h1", "一、工作目标"),
            ("p", "通过一年时间，全镇12个村（社区）全部达到“清廉村居”建设标准，培育示范村3个以上。"),
            ("h1", "二、方法步骤"),
            (
                "h2",
                "（一）动员部署阶段（2024年3月1日至3月15日）。召开全镇动员会，各村结合实际制定实施方案，明确具体责任人。",
            ),
            (
                "h2",
                "（二）自查整改阶段（3月16日至6月30日）。各村对照建设清单逐项自查，建立问题台账，做到整改一项、销号一项。",
            ),
            (
                "h2",
                "（三）督导检查阶段（2024年7月至9月中旬）。镇纪委会同党建办组成督导组，对各村建设情况进行全覆盖检查。",
            ),
            (
                "h2",
                "（四）总结提升阶段（10月1日至11月30日）。各村总结经验做法，镇党委评选示范村并召开现场推进会。",
            ),
            ("h1", "三、工作要求"),
            ("h2", "（一）加强组织领导。各村党组织书记是第一责任人，要亲自研究部署，确保各项工作落到实处。"),
            ("h2", "（二）强化督促检查。镇纪委将建设情况纳入年度考核，对推进不力的村进行约谈。"),
            ("sign", "中共白石镇委员会\n2024年2月26日"),
        ],
        "year": 2024,
        "tasks": [
            ("动员部署阶段", "2024-03-15", None),
            ("自查整改阶段", "2024-06-30", None),
            ("督导检查阶段", "2024-09-20", None),
            ("总结提升阶段", "2024-11-30", None),
        ],
    },
    "brackets": {
        "blocks": [
            ("title", "柳溪村党总支2024年党建工作要点"),
            ("p", "2024年，村党总支将以提升组织力为重点，围绕乡村振兴抓党建，现将全年工作要点安排如下。"),
            ("h1", "一、总体要求"),
            ("p", "坚持党建引领，把党的领导贯穿村级治理全过程，推动党建工作与产业发展、环境整治深度融合。"),
            ("h1", "二、重点工作"),
            ("h2", "（一）夯实基层组织"),
            ("p", "完善村党组织设置。对新建安置小区及时成立党支部，理顺隶属关系（2024年6月底前）。"),
            ("p", "规范发展党员工作。严格落实发展党员“五个环节”，全年发展党员2名（2024年11月底前）。"),
            ("h2", "（二）提升服务能力"),
            ("p", "建成村级党群服务中心。完成装修并投入使用，设置便民服务窗口3个（2024年9月30日前）。"),
            ("p", "建立党员联系户制度。每名党员联系群众10户以上，定期走访收集意见（7月底前完成）。"),
            ("h1", "三、保障措施"),
            ("p", "村党总支书记负总责，支委分工负责，每月召开一次工作推进会，及时研究解决工作中遇到的问题。"),
            ("sign", "中共柳溪村总支部委员会\n2024年1月8日"),
        ],
        "year": 2024,
        "tasks": [
            ("完善村党组织设置", "2024-06-30", None),
            ("规范发展党员工作", "2024-11-30", None),
            ("建成村级党群服务中心", "2024-09-30", None),
            ("建立党员联系户制度", "2024-07-31", None),
        ],
    },
    "owner-lines": {
        "blocks": [
            ("title", "青山县2024年村级组织建设提升行动方案"),
            ("doc_no", "青组通〔2024〕12号"),
            ("p", "各乡镇党委，县直有关单位：为进一步加强村级组织建设，县委组织部制定了本方案，请认真抓好落实。"),
            ("h1", "一、总体目标"),
            ("p", "到2024年底，全县村级组织建设质量明显提升，软弱涣散村党组织整顿转化率达到100%。"),
            ("h1", "二、重点任务"),
            ("h2", "（一）开展村党组织书记轮训"),
            ("p", "全县村党组织书记每年至少轮训一次，重点学习基层治理、产业发展和群众工作方法。"),
            ("p", "责任单位：县委组织部、县委党校"),
            ("p", "完成时限：2024年10月底前"),
            ("h2", "（二）整顿软弱涣散村党组织"),
            ("p", "按照不低于5%的比例排查确定软弱涣散村党组织，逐村制定整顿方案，落实县级领导联系包案。"),
            ("p", "责任主体：各乡镇党委"),
            ("p", "完成时限：2024年12月31日前"),
            ("h2", "（三）规范村务监督委员会运行"),
            ("p", "健全村务监督委员会工作制度，推行村级小微权力清单，村务公开每季度不少于一次。"),
            ("p", "牵头单位：县纪委监委"),
            ("p", "完成时限：2024年8月底"),
            ("h1", "三、组织保障"),
            ("p", "各乡镇党委要切实履行主体责任，县委组织部将适时开展督查，督查结果纳入年度党建考核。"),
            ("sign", "中共青山县委组织部\n2024年3月5日"),
        ],
        "year": 2024,
        "tasks": [
            ("开展村党组织书记轮训", "2024-10-31", "县委组织部、县委党校"),
            ("整顿软弱涣散村党组织", "2024-12-31", "各乡镇党委"),
            ("规范村务监督委员会运行", "2024-08-31", "县纪委监委"),
        ],
    },
    "inline-heading": {
        "blocks": [
            ("title", "河湾乡2024年村级阵地规范化建设实施方案"),
            ("p", "为进一步提升村级阵地服务功能，结合我乡实际，制定本方案。"),
            ("h1", "一、主要任务"),
            (
                "h2",
                "（一）推进村级活动场所改扩建（2024年6月底前）。对面积不足200平方米的村级活动场所进行改扩建，统一标识标牌。",
            ),
            (
                "h2",
                "（二）推行党员积分制管理（完成时限：2024年9月30日）各村全面推行党员积分管理，积分结果与评先评优挂钩。",
            ),
            (
                "h2",
                "（三）建立村干部坐班值班制度（责任单位：乡党建办；完成时限：2024年5月31日）。各村公布值班表并上墙公示，确保群众办事有人管。",
            ),
            ("h1", "二、工作要求"),
            ("p", "各村要高度重视，按时间节点推进，乡党建办每月通报一次进展情况。"),
            ("sign", "中共河湾乡委员会\n河湾乡人民政府\n2024年4月2日"),
        ],
        "year": 2024,
        "tasks": [
            ("推进村级活动场所改扩建", "2024-06-30", None),
            ("推行党员积分制管理", "2024-09-30", None),
            ("建立村干部坐班值班制度", "2024-05-31", "乡党建办"),
        ],
    },
    "numbered": {
        "blocks": [
            ("title", "东岭村2024年党员教育管理工作安排"),
            ("p", "根据镇党委统一部署，结合本村党员队伍实际，现将今年党员教育管理工作安排如下："),
            ("h1", "一、工作任务"),
            ("p", "1、组织全体党员学习党的二十届三中全会精神，4月30日前完成第一轮集中学习。"),
            ("p", "2. 开展党员“亮身份、作表率”活动，7月1日前每名党员认领一个服务岗位。"),
            ("p", "3、完成村“两委”干部年度述职评议（2024年12月20日前）。"),
            ("p", "4、做好流动党员排查登记，10月底前建立流动党员台账。"),
            ("h1", "二、工作要求"),
            ("p", "各党小组长要认真组织，确保每名党员参学不漏一人。"),
            ("sign", "中共东岭村支部委员会\n2024年3月12日"),
        ],
        "year": 2024,
        "tasks": [
            ("组织全体党员学习党的二十届三中全会精神", "2024-04-30", None),
            ("开展党员“亮身份、作表率”活动", "2024-07-01", None),
            ("完成村“两委”干部年度述职评议", "2024-12-20", None),
            ("做好流动党员排查登记", "2024-10-31", None),
        ],
    },
    "table": {
        "blocks": [
            ("title", "石门镇2024年基层党建重点任务清单"),
            ("doc_no", "石门党发〔2024〕8号"),
            ("p", "各村（社区）党组织、镇直各单位：现将2024年基层党建重点任务清单印发给你们，请认真抓好落实。"),
            ("h1", "一、总体目标"),
            ("p", "全年实现村级党组织星级评定全覆盖，三星级以上党组织占比达到80%以上。"),
            ("h1", "二、重点任务"),
            ("p", "具体任务见下表："),
            (
                "table",
                [
                    ["2024年基层党建重点任务清单", "<", "<", "<", "<"],
                    ["序号", "重点任务", "具体内容", "责任单位", "完成时限"],
                    [
                        "1",
                        "村级组织星级评定",
                        "组织开展村党组织星级评定，评定结果张榜公示",
                        "镇党建办",
                        "2024年11月底前",
                    ],
                    ["2", "党员冬春训", "分批次开展党员集中培训\n每名党员学时不少于32学时", None, "2024年3月31日前"],
                    ["3", "后备力量培养", "每村储备村级后备力量2名以上", "各村党组织\n镇组织委员", "2024年9月底前"],
                    ["4", "党建信息报送", "每月报送党建动态信息不少于2条", "各村党组织", "长期坚持"],
                ],
            ),
            ("h1", "三、重点项目"),
            (
                "table",
                [
                    ["工作任务", "牵头单位", "配合单位", "时间节点"],
                    ["新建党群服务驿站", "镇党建办", "镇财政所", "2024年8月31日"],
                    ["打造红色教育基地", "镇宣传办（文化站）", "相关村", "2024年10月底前"],
                ],
            ),
            ("h1", "四、工作要求"),
            ("p", "各责任单位要按清单抓好落实，每季度末向镇党建办报送进展情况。联系人见下表："),
            ("table", [["单位", "联系人", "电话"], ["镇党建办", "王敏", "0731-5551234"]]),
            ("sign", "中共石门镇委员会\n2024年2月20日"),
        ],
        "year": 2024,
        "tasks": [
            ("村级组织星级评定", "2024-11-30", "镇党建办"),
            ("党员冬春训", "2024-03-31", "镇党建办"),
            ("后备力量培养", "2024-09-30", "各村党组织、镇组织委员"),
            ("党建信息报送", None, "各村党组织"),
            ("新建党群服务驿站", "2024-08-31", "镇党建办"),
            ("打造红色教育基地", "2024-10-31", "镇宣传办（文化站）"),
        ],
    },
    "recurring": {
        "blocks": [
            ("title", "南坪村2024年“三会一课”及日常党务工作安排"),
            ("p", "为规范村党支部组织生活，推动日常党务工作常态化，现作如下安排。"),
            ("h1", "一、日常工作"),
            (
                "h2",
                "（一）坚持“三会一课”制度。支部委员会每月召开一次，党员大会每季度召开一次（完成时限：每月、每季度）。",
            ),
            (
                "h2",
                "（二）开展主题党日活动。每月固定一天为主题党日，组织党员集中学习、志愿服务（时间节点：每月15日前后）。",
            ),
            ("h2", "（三）落实网格员走访。每名网格员每周走访所包片区住户不少于1次，发现问题及时上报（长期坚持）。"),
            ("h2", "（四）开展年度述职评议。组织村党组织书记抓党建述职评议，党员参与测评（2024年12月31日前）。"),
            ("h1", "二、有关要求"),
            ("p", "各项活动要做好记录，相关资料及时归档。"),
            ("sign", "中共南坪村支部委员会\n2024年1月15日"),
        ],
        "year": 2024,
        "tasks": [
            ("坚持“三会一课”制度", None, None),
            ("开展主题党日活动", None, None),
            ("落实网格员走访", None, None),
            ("开展年度述职评议", "2024-12-31", None),
        ],
    },
    "no-deadlines": {
        "blocks": [
            ("title", "关于加强2024年村级网格化服务管理的实施意见"),
            ("p", "为推动基层治理重心下移，提升为民服务水平，现就加强村级网格化服务管理提出如下意见。"),
            ("h1", "一、主要任务"),
            ("h2", "（一）科学划分网格。以村民小组为基础，按照每格100户左右的标准划分网格，做到全覆盖、无遗漏。"),
            ("h2", "（二）配强网格力量。每个网格配备1名专职网格员，优先从村干部、党员、退役军人中选聘。"),
            ("h2", "（三）健全运行机制。建立“发现、上报、处置、反馈”闭环机制，小事不出网格、大事不出村。"),
            ("h1", "二、保障措施"),
            ("p", "各村要将网格化管理纳入重要议事日程，镇里将把网格工作情况纳入年度考核。"),
            ("sign", "中共大坝镇委员会\n2024年5月6日"),
        ],
        "year": 2024,
        "tasks": [("科学划分网格", None, None), ("配强网格力量", None, None), ("健全运行机制", None, None)],
    },
    "next-year": {
        "blocks": [
            ("title", "白石镇2025年党建工作计划"),
            (
                "p",
                "2024年，全镇党建工作取得新成效：2024年6月完成村级党群服务中心提质改造，2024年10月顺利通过县委党建考核，2024年11月评出“五星”支部4个。为做好2025年党建工作，现制定本计划。",
            ),
            ("h1", "一、重点任务"),
            ("h2", "（一）开展支部标准化建设"),
            ("p", "对照标准化建设清单，推动全镇支部达标。（完成时限：3月底前）"),
            ("h2", "（二）实施党员先锋指数管理"),
            ("p", "在全镇党员中推行先锋指数考评，考评结果公开。（完成时限：6月底前）"),
            ("h2", "（三）建设党建示范带"),
            ("p", "串联沿河4个村打造党建示范带，形成可复制经验。（完成时限：2025年9月底前）"),
            ("h1", "二、保障措施"),
            ("p", "镇党委每季度专题研究一次党建工作，确保计划落实。"),
            ("sign", "中共白石镇委员会\n2024年12月18日"),
        ],
        "year": 2025,
        "tasks": [
            ("开展支部标准化建设", "2025-03-31", None),
            ("实施党员先锋指数管理", "2025-06-30", None),
            ("建设党建示范带", "2025-09-30", None),
        ],
    },
}


def _font(run: Any, name: str, size: float, bold: bool = False) -> None:
    run.font.size, run.font.bold = Pt(size), bold
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _table(document: Any, rows: list[list[str | None]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            if value is None:
                table.cell(r - 1, c).merge(cell)
            elif value == "<":
                table.cell(r, c - 1).merge(cell)
            else:
                first, *rest = value.split("\n")
                cell.paragraphs[0].text = first
                for more in rest:
                    cell.add_paragraph(more)
                for p in cell.paragraphs:
                    for run in p.runs:
                        _font(run, "仿宋_GB2312", 12, bold=r == 0 or (r == 1 and "序号" in row))


def build(blocks: list[Block]) -> Any:
    document = Document()
    for kind, value in blocks:
        if kind == "table":
            _table(document, value)
        elif kind == "title":
            p = document.add_paragraph(style="Title")
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(value), "方正小标宋简体", 22)
        elif kind == "doc_no":
            p = document.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(value), "仿宋_GB2312", 16)
        elif kind in ("h1", "h2"):
            p = document.add_paragraph(style="Heading 1" if kind == "h1" else "Heading 2")
            _font(p.add_run(value), "黑体" if kind == "h1" else "楷体_GB2312", 16, bold=kind == "h2")
        elif kind == "sign":
            document.add_paragraph()
            for line in value.split("\n"):
                p = document.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                _font(p.add_run(line), "仿宋_GB2312", 16)
        else:
            p = document.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(32)
            _font(p.add_run(value), "仿宋_GB2312", 16)
    return document


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, plan in PLANS.items():
        build(plan["blocks"]).save(str(OUT / f"plan-{stem}.docx"))
        expected = {
            "year": plan["year"],
            "tasks": [{"title": t, "due": due, "owner": owner} for t, due, owner in plan["tasks"]],
        }
        text = json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
        (OUT / f"plan-{stem}.expected.json").write_text(text, encoding="utf-8")
        print(f"{OUT / f'plan-{stem}.docx'}: {len(plan['tasks'])} tasks")


if __name__ == "__main__":
    main()

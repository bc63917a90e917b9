"""Reading a task's progress (工作进度): the evidence that a message reports on a work-plan task, and its
status (done, in progress, blocked)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence, hit
from handlers.nlu.lexicon import rx

Fields = dict[str, Any]

# -- words -----------------------------------------------------------------------------------------------

TASK_NOUNS = rx(r"""阵地 换届 社会组织 服务组织 志愿服务 名单 推选 选举 章程 初稿 草案 细则 公约 名册 报表 汇总 组建 队伍 配齐 配备 亮户 活动证 回头看 签字
    民情卡 联系卡 联系户 积极分子 培养 考察 打分表 自评 合作社 注册 光伏 台账 清单 公示 整顿 软弱涣散 集体经济 积分
    信息采集 评星 定级 创建 标准化 规范化 档案 报告 方案 制度 任务 项目 工程 改造 提升 建设 培训 整改 排查 摸排 录入
    上墙 挂牌 述职 承诺 村规民约 议事 发展党员 后备干部 党员教育 党费 村务公开 三资 监督委员会 网格划分 验收 材料
    申报 考核 目标""")
STATUS_DONE = rx(r"""(?i:done) ✅ 已建立 建好了 搞完了 弄完了 选出来了 配齐了 已拟好 拟好了 完毕 已经\S{1,6}了 全部完成 100% 百分之百 圆满完成 已收官 通过验收
    验收合格 顺利完成 (?:都|已|全)(?:发|送|贴|挂|装|建|填|报|交)(?:到|上|好|完|齐)
    已(?:经)?(?:全部)?(?:完成|做完|办完|搞完|弄完|落实|上墙|挂牌|验收|通过|建成|完工|结束|收尾|提交|报送|上传|录入|填好|贴出|公示|交|报|上报|印发|发放|签订|办好|弄好|搞好|整理好|装好|修好|到位|办结)
    (?:完成|做完|办完|搞定|弄完|弄好|搞好|建好|建成|完工|落实|交上去|报上去|传上去|贴出去|整理好|办好|装好|挂好|上墙|验收|填好|交|报)了""")
STATUS_BLOCKED = rx(r"""报不了 登不进去 进不去 打不开 还没找到 找不到 还没开始 定不下来 选不出来 没人愿意 不下来 缺材料 有困难 困难 卡住 卡在 卡壳 没到位 签不到 搞不到 弄不到 停了 没拨 没下来 没发下来 还没发 不够 没有办法 没批
    推不下去 搞不下去 意见不统一 不统一 有分歧 不同意 动不了 办不下来 批不下来 下不来 一直没 故障 进行不下去 搞不定 弄不好
    协调不了 谈不拢 没着落 缺(?:钱|资金|人|经费|场地) 资金不到位 不到位 落实不了 完不成 推不动 推进不了 搞不了 弄不了 做不了
    没办法 没法 难度 阻力 不配合 拖着 停工 受阻 进展不了 延期 跟不上 问题较多""")
STATUS_PROGRESS = rx(r"""一大半 大半 一多半 快完了 差不多了 还剩 正在进行 在\S{1,4}中 整理中 办理中 审核中 准备中 进行中 推进中 正在 在做 在搞 在弄 还在 已启动 已开始 开始了 启动了 过半 \d+% 百分之\S+ 大部分 一半 差不多
    还差 剩下 进度 抓紧 稳步 陆续 初步 基本完成 着手 征求""")

# -- evidence --------------------------------------------------------------------------------------------


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    if m := TASK_NOUNS.search(text):
        status = hit(STATUS_DONE, text) or hit(STATUS_BLOCKED, text) or hit(STATUS_PROGRESS, text)
        if status:
            ev.add("task_progress", 3.0, f"task '{m.group(0)}' with status '{status}'")
    elif m := STATUS_DONE.search(text):
        ev.add("task_progress", 1.5, f"done '{m.group(0)}'")
    elif (m := (STATUS_BLOCKED.search(text) or STATUS_PROGRESS.search(text))) and re.search(
        r"工作|任务|项目|进度|推进", text
    ):
        ev.add("task_progress", 1.5, f"status '{m.group(0)}'")
    strong_problem = any(weight >= 2.0 for _, _, weight in lx.category_hits(text))
    if strong_problem and ev.scores["task_progress"] > 0:
        ev.add("task_progress", -1.5, "a problem was found: a patrol, not a task")


def head_threshold(body: str, head: str, done: bool) -> float:
    return 3.0 if done else 4.5  # a task reported done needs less to stand before a question


def task_fields(text: str, original: str, now: datetime) -> Fields:
    if STATUS_BLOCKED.search(text) and not re.search(r"没有?(?:什么)?困难|不困难|无困难", text):
        return {"status": "blocked"}
    partial = re.search(
        r"(?<!100)%|基本|大部分|还差|剩下|剩余|一半|过半|部分|快要|即将|差不多|正在|在做|在弄|在搞|在整|在办|进行|"
        r"还没|未完成|其他.{0,3}(?:在|还|没)|其余.{0,3}(?:在|还|没)|还有\d+\S{0,3}(?:待|没|未)|待(?:发|办|完成|落实)|还剩|正在",
        text,
    )
    if STATUS_DONE.search(text) and not partial:
        return {"status": "done"}
    return {"status": "in_progress"}

"""The rules file as answerable text: what the bot enforces (meeting cadence, quorum, the subsidy, reminder
times, the overdue ladder, 约谈 notices) said in a few sentences, so an answer never contradicts the rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.roles import Role
from knowledge.rules import Rules

PERIODS = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年"}
READINGS = {"more_than_half": "半数以上", "two_thirds": "三分之二以上", "four_fifths": "五分之四以上"}
EVIDENCE = {
    "self_report": "发消息说明即可，不需要照片或定位",
    "photo": "需要一张现场照片（只问一次）",
    "location": "需要发一次位置（只问一次）",
    "photo_or_location": "需要照片或位置其一（只问一次）",
}


@dataclass(frozen=True)
class PolicyDoc:
    title: str
    text: str  # what the answer says
    terms: str  # extra words people use for it, for the search only
    source: str
    next: str = ""


def money(value: Decimal) -> str:
    return f"{value.normalize():f}"


def role_names(roles: list[str]) -> str:
    names = []
    for r in roles:
        try:
            names.append(Role(r).label)
        except ValueError:
            names.append(r)
    return "、".join(names)


def policy_docs(rules: Rules) -> list[PolicyDoc]:
    s, rem, org = rules.subsidy, rules.reminders, rules.organisation
    bands = "；".join(f"{b.name}（{'、'.join(b.villages)}）每天{money(b.per_day)}元" for b in s.bands)
    subsidy = (
        f"{s.name}：下村下户每天{money(s.per_day)}元"
        + (f"，{bands}" if bands else "")
        + ("；一天只算一次" if s.one_claim_per_day else "")
        + ("；单位派车的当天没有补助" if not s.unit_car_pays else "")
        + (f"；每人每月最多{money(s.monthly_cap)}元" if s.monthly_cap is not None else "")
        + (f"。适用于{role_names(s.eligible_roles)}" if s.eligible_roles else "")
        + f"，由{role_names(s.approver_roles)}审批。凭证：{EVIDENCE[s.evidence]}。"
    )
    cadence = "；".join(f"{kind}{PERIODS[period]}至少1次" for kind, period in org.cadence.items())
    q = org.quorum
    ladder = " → ".join(f"逾期{step.after_days}天{step.step}" for step in rules.ladder)
    iv = rules.interview
    return [
        PolicyDoc(
            "交通补助规则",
            subsidy,
            "交通补助 补贴 下村 下户 一天多少钱 标准 每月 最多 上限 单位派车 当天回来 怎么算 怎么报 审批",
            s.basis or "本县交通补助办法（规则文件 subsidy）",
            "报走访可以发「今天去李家村走访了5户」；查补助发「我这个月补助多少」。",
        ),
        PolicyDoc(
            "三会一课开展频次",
            f"本县规定：{cadence}。每月{rem.cadence_day}日还没开支委会的，助手会提醒书记；季度会议在季末前"
            f"{rem.quarter_days_before}天提醒。",
            "三会一课 多久 几次 频次 每月 每季度 支委会 党小组会 党员大会 党课 主题党日 组织生活会 开一次",
            "《中国共产党支部工作条例（试行）》；规则文件 organisation.cadence",
            "发「三会一课情况」可查看本支部是否按时开展。",
        ),
        PolicyDoc(
            "会议法定人数",
            f"支部党员大会须有{READINGS[q.branch_general]}有表决权的党员到会方可表决；支委会须有"
            f"{READINGS[q.branch_committee]}委员到会；选举须到会人数超过应到会人数的五分之四。"
            "只有正式党员有表决权，分母是应到会人数，不是实到人数。",
            "法定人数 到会 到场 多少人 能不能开 应到 实到 半数 表决 选举 五分之四 人数够不够 开会人数",
            "《中国共产党支部工作条例（试行）》第十一、十二条；《中国共产党基层组织选举工作暂行条例》",
            "登记会议时发「应到X人实到Y人」，我会自动核对。",
        ),
        PolicyDoc(
            "提醒时间与免打扰",
            f"任务到期前{'、'.join(str(d) for d in rem.offsets)}天提醒，时间是上午{rem.at:%H:%M}，遇周末和节假日提前到工作日"
            f"（按调休安排）；{rem.quiet_start:%H:%M}至次日{rem.quiet_end:%H:%M}不推送，任务报完成后不再提醒。",
            "提醒 几点 什么时候 推送 晚上 免打扰 休息时间 周末 节假日 到期前 提前几天",
            "规则文件 reminders",
            "",
        ),
        PolicyDoc(
            "逾期督办流程",
            f"任务逾期后逐级督办：{ladder}。提示发给负责人，催办抄送书记，通报到乡镇；到约谈这一步，助手只起草约谈通知，"
            "由督导审批后才发出。工作方案要求：对重视不够、落实不力的，应当及时提醒、约谈。",
            "逾期 超期 没完成 约谈 催办 通报 提示 问责 什么情况 会怎么样 督办",
            "工作方案“压实工作责任”；规则文件 ladder",
            "查看本村任务发「我们村还有哪些任务没完成」。",
        ),
        PolicyDoc(
            "约谈通知",
            f"约谈通知写明：约谈对象、事由、时间、地点、约谈人和需携带的材料；约谈时间至少在通知发出后"
            f"{iv.notice_workdays}个工作日。默认地点{iv.place}，约谈人{iv.interviewers}，材料："
            f"{'、'.join(iv.materials)}。通知由助手起草，督导批准后才发出，对方点「收到」确认。",
            "约谈通知 提前几天 内容 写什么 地点 约谈人 材料 带什么",
            "规则文件 interview；各地约谈通知书格式",
            "",
        ),
    ]

"""Words the understanding rules share: meeting types (a meeting, a leave, an attendance call), event
categories (a patrol's problem, and a task report that is really one), and the small vocabularies of the
decisive rules (ack, help, cancel, notify, questions). Words only one intent reads live with that intent
(handlers/patrol/reading.py, handlers/trips/reading.py, handlers/tasks/reading.py).

Vocabularies are written as whitespace-separated entries (each entry may itself be a regular expression),
so a word is added by adding a word.
"""

from __future__ import annotations

import re
from functools import lru_cache


def words(block: str) -> str:
    """'a b c' → 'a|b|c'."""
    return "|".join(block.split())


def rx(block: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(words(block), flags)


# -- meetings ---------------------------------------------------------------------------------------------

MEETING_TYPES: list[tuple[re.Pattern[str], str]] = [
    (rx("支部党员大会 全体党员大会 党员大会 支部大会 党员会议 全体党员会"), "支部党员大会"),
    (rx("支部委员会 支委扩大会 支委会 支委会议 支委开会"), "支部委员会"),
    (rx("党小组会 党小组学习会 小组会"), "党小组会"),
    (rx("主题党日 党日活动"), "主题党日"),
    (rx("组织生活会 民主评议(?:党员)?会?"), "组织生活会"),
    (rx("微党课 党课"), "党课"),
]
MEETING_WORD = rx("""支部党员大会 党员大会 支部大会 支委会 支部委员会 支委扩大会 党小组会 小组会 主题党日 党日活动
                     组织生活会 党课 三会一课 民主评议 会议 开会 例会 开了(?:个|一个|次|一次)?会""")

# -- grid events (DOMAIN.md §2.2) -------------------------------------------------------------------------

CATEGORIES: dict[str, list[tuple[str, float]]] = {
    "矛盾纠纷": [
        (words("纠纷 矛盾 吵架 吵起来 吵到 吵得 争吵 吵闹 打架 扯皮 争执 闹矛盾 闹起来 干仗 分家 打起来"), 2.0),
        (words("宅基地 地界 边界 田界 土地 婚姻 家庭 邻里 劳资 讨薪 欠薪 工钱 赡养 占地 界址 放水 灌田"), 1.2),
        (words("赔偿 协调 双方 咬伤 咬了 调解"), 1.0),
    ],
    "安全隐患": [
        (words("消防通道 安全隐患 隐患 危险 火星 冒火 柴火堆 一氧化碳 中毒 炭盆 烤火 火苗 烧田 田坎 烧坎"), 2.2),
        (words("火灾 着火 起火 失火 冒烟 浓烟 烧[秸荒草垃纸] 焚烧 秸秆.{0,3}烧 火情 野火 山火 引燃 烧荒 明火"), 2.0),
        (words("秸秆 煤炉 烟囱"), 1.0),
        (
            words("""电线 漏电 电线杆 电杆 电网 变压器 燃气 煤气 液化气 危房 倒塌 裂缝 塌方 滑坡 落石 溺水 防溺水
                  积水 防汛 山洪 消防 灭火器 鞭炮 烟花 用电 私拉"""),
            1.5,
        ),
        (words("倾斜 松动 垮塌 下陷 塌陷"), 0.8),
        (
            words(
                "挡道 挡路 堵路 占道 路障 大石头 滚下来 滚落 砸到人 水塘边 塘边 河边玩 玩水 野泳 下河游泳 恶犬 疯狗 狗.{0,4}伤人"
            ),
            1.5,
        ),
    ],
    "治安": [
        (
            words("""钓鱼 禁钓 网鱼 捕鱼 高利贷 放贷 电鱼 炸鱼 毒鱼 偷(?!倒|排|埋|运|放) 盗窃 被盗 小偷 赌博 赌钱 打牌赌 赌 可疑 陌生人 外地人 鬼鬼祟祟 形迹可疑
                  不明身份 游荡 传销 诈骗 反宣 邪教 非法 偷运 酒驾 斗殴 闹事 醉汉 砸 推销 治安"""),
            2.0,
        ),
        (words("报警 派出所 警察"), 0.5),
    ],
    "环境卫生": [
        (
            words("""垃圾 乱堆 乱放 乱扔 乱倒 乱搭 乱建 私搭 违建 违章 违规搭建 搭建 彩钢棚 污水 臭水 黑臭 小广告 牛皮癣
                  粪便 猪粪 牛粪 粪 臭 卫生 杂物 柴草 白色污染 死鸡 死猪 河面漂浮 漂浮物 脏乱 畜禽 乱排 排污 污染 异味
                  农药瓶 农药桶 秸秆乱 废渣 倒渣 偷倒 倾倒 杂草 丛生 塑料瓶 塑料袋 漂了 浮着 泡沫 油烟 噪音 噪声 扰民"""),
            2.0,
        ),
    ],
    "公共设施": [
        (
            words("""路灯 灯不亮 井盖 窨井 路面 坑洼 破损 护栏 桥面 停水 没来水 自来水 健身器材 公厕 广播 监控 宣传栏
                  标识牌 指示牌 下水道 候车亭 路牌 1个坑 大坑 河堤 堤坝 冲垮 塌了一个 路塌 路面塌 水泥路"""),
            2.0,
        ),
        (words("道路 桥梁 水管 饮水 水渠 涵洞 排水沟 村道 公路"), 1.0),
        (words("坏了 损坏 不亮 堵了 堵塞 漏水 爆管 断了"), 0.8),
    ],
    "民生服务": [
        (
            words("""独居 孤寡 空巢 老人 奶奶 爷爷 大爷 大娘 残疾 留守 困难户 低保 特困 救助 看病 就医 生病 医保 社保 养老
                  房顶漏雨 漏雨 求助 帮忙 代办 政策咨询 五保 无人照顾 生活困难 民政 行动不便 卧床 村医 药 吃不上 没人管
                  没去上学 不去上学 不上学 辍学 失学 儿童"""),
            1.6,
        ),
    ],
    "重点人员": [
        (
            words(
                "精神不太正常 精神不正常 精神有问题 社区矫正 矫正人员 刑满释放 吸毒 戒毒 精神障碍 精神病 肇事肇祸 上访 信访 缠访 重点人员 稳控"
            ),
            2.5,
        ),
    ],
}
CATEGORY_RES = {name: [(re.compile(p), w) for p, w in items] for name, items in CATEGORIES.items()}


@lru_cache(maxsize=64)
def category_hits(text: str) -> tuple[tuple[str, re.Match[str], float], ...]:
    """Per category, the first of its patterns the text matches: (category, match, weight). Read by the patrol
    evidence and, for whether a problem was found, by the task-progress evidence of the same message."""
    hits = []
    for name, patterns in CATEGORY_RES.items():
        for pattern, weight in patterns:
            if m := pattern.search(text):
                hits.append((name, m, weight))
                break
    return tuple(hits)


# -- short intents -------------------------------------------------------------------------------------------

ACK_TOKENS = set(
    [
        "收到",
        "已收到",
        "收到了",
        "收悉",
        "要得",
        "中",
        "得嘞",
        "妥",
        "妥了",
        "收到啦",
        "好的",
        "好滴",
        "好嘞",
        "好勒",
        "好吧",
        "好",
        "好了",
        "明白",
        "明白了",
        "知道了",
        "知道啦",
        "知道",
        "了解",
        "了解了",
        "已阅",
        "阅",
        "ok",
        "okay",
        "嗯",
        "嗯嗯",
        "嗯呢",
        "行",
        "可以",
        "没问题",
        "遵命",
        "是",
        "是的",
        "对",
        "对的",
        "谢谢",
        "感谢",
        "多谢",
        "辛苦了",
        "辛苦",
        "马上办",
        "这就办",
        "马上落实",
        "立即落实",
        "坚决落实",
        "抓紧落实",
        "马上安排",
        "照办",
        "按要求办",
        "保证完成",
        "一定完成",
        "一定落实",
        "已知悉",
        "知悉",
        "确认",
        "确认收到",
        "1",
        "收到收到",
        "书记",
        "领导",
        "主任",
        "老师",
        "同志",
        "您",
        "大家",
        "了",
        "啦",
        "哈",
        "哦",
        "噢",
        "的",
        "呢",
        "哟",
        "嘞",
    ]
)
ACK_TOKENS |= {"thx", "thanks", "3q", "谢啦", "按通知办", "照通知办", "按通知要求办", "没意见", "没有意见", "无意见"}
# alone, these thank or address someone rather than acknowledge a notice (大家辛苦了 is not 收到)
NOT_CORE = set(
    [
        "书记",
        "领导",
        "主任",
        "老师",
        "同志",
        "您",
        "大家",
        "辛苦",
        "辛苦了",
        "了",
        "啦",
        "哈",
        "哦",
        "噢",
        "的",
        "呢",
        "哟",
        "嘞",
    ]
)
ACK_SPLIT = re.compile(
    r"[\s,.!~，。！～、]+|(?<=[\u4e00-\u9fa5a-z])(?=[^\u4e00-\u9fa5a-z0-9])|(?<=[^\u4e00-\u9fa5a-z0-9\s])(?=[\u4e00-\u9fa5a-z])"
)
EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")
ACK_EMOJI = re.compile(r"^[\s👍👌🙏💪✌🤝✅☑✔🆗👏❤🌹\U0001F3FB-\U0001F3FF\uFE0F\u200D]+$")


def is_ack(text: str) -> bool:
    """Only acknowledgement words (收到，辛苦了 / 好的书记 / 已收到🙏), nothing else."""
    cleaned = EMOJI.sub(" ", text.lower())
    tokens = [t for t in ACK_SPLIT.split(cleaned) if t and t.strip()]
    if not tokens:
        return False
    found: list[str] = []
    for token in tokens:
        parts = _ack_pieces(token)
        if parts is None:
            return False
        found += parts
    return any(w not in NOT_CORE for w in found)


_ACK_BY_LENGTH = sorted(ACK_TOKENS, key=len, reverse=True)


def _ack_pieces(token: str) -> list[str] | None:
    """'收到谢谢' → ['收到', '谢谢']; None if the token is not made of ack words."""
    if token in ACK_TOKENS:
        return [token]
    for word in _ACK_BY_LENGTH:
        if len(word) > 1 and token.startswith(word) and len(token) > len(word):
            rest = _ack_pieces(token[len(word) :])
            if rest is not None:
                return [word, *rest]
    return None


GREETING = re.compile(
    r"^(?:书记|主任|领导|老师|组长|[\u4e00-\u9fa5]{1,2}书记)?[\s,，]*(?:(?:"
    + words(r"""在吗 在不在 在么 在嘛 有人吗 有人没 有人在吗 有没有人 你好 您好 hi hello 早上好 早安 中午好 下午好 晚上好 晚安 喂
        哈喽 嗨 大家好 哈+ 呵+ 嘿+ 笑死 厉害 可以可以 牛 6+ 。+ \?+ 嘿嘿 嘻嘻 吃(?:饭|午饭|晚饭)?了(?:没|吗|么)
        忙(?:啥|什么)呢 最近(?:好吗|咋样|怎么样) 干嘛呢 在干嘛 睡了吗 下班了吗""")
    + r")[\s,.!?~，。！？～]*)+$",
    re.I,
)
# 工作台 / 登录后台: the sign-in link to the web console. Whole-message shapes only: 工作台账 is a ledger, and
# 后台 alone is too common a word (后台有人 …) to be read as a command.
CONSOLE = re.compile(
    r"^(?:我)?(?:要|想|需要|怎么|如何|咋)?(?:打开|进入|进|登录|登陆|上|去|用)?(?:一下)?"
    r"(?:工作台|管理后台|后台管理|后台|网页版|电脑版|pc端|电脑端)"
    r"(?:的)?(?:登录|登陆|链接|网址|地址|入口|账号)?(?:在哪(?:里|儿)?|怎么(?:进|登录|登陆|打开|弄))?"
    r"(?:链接)?(?:发(?:我|给我)?(?:一下)?)?(?:呢|吧|啊|呀)?[。.!！?？~～]*$"
    r"|^(?:把|给我|发我)?(?:工作台|后台)(?:的)?(?:登录)?(?:链接|网址|地址)(?:发(?:我|给我)?(?:一下)?)?[。.!！?？]*$"
    r"|^(?:登录|登陆)(?:工作台|后台|管理后台)[。.!！?？]*$",
    re.I,
)
# 投诉建议: the sender's own complaint or suggestion for the administrators (handlers/feedback.py), named by the
# sender's own label — leading the message (投诉建议：…, 我要投诉…, 提个建议，…, 我建议…, 反馈一下：…, 怎么投诉), after
# a voice opener or a greeting (喂那个我想投诉一下…, 书记，我要投诉…), or closing it (…，我要投诉). Someone else's
# complaint (村民投诉…, 接到一起投诉) is a patrol's matter, a question about complaints (投诉电话是多少, 我投诉的事
# 怎么样了) a question. Read on the normalised text and on the original alike (1个 / 一个, : / ：); the slips of
# pinyin keyboards and voice input (头诉, 投述, 见意, 建意) and the dialect words (告状, 俺, 偶) are in the words.
TOUSU = r"(?:投[诉述素塑]|头[诉述]|告状)"
JIANYI = r"(?:建[议意义]|见[意议])"
SUGGEST = rf"(?:{JIANYI}|意见|提议)"
FEEDBACK_JOINT = rf"(?:{TOUSU}(?:和|与|及|、)?{SUGGEST}|意见(?:和|与|、)?{JIANYI}|{JIANYI}(?:和|与|、)?意见)"
KINDLESS = r"(?:反映|反馈|吐槽)"  # 反映个问题: the words say whether it is a complaint or a suggestion
_WHO = r"(?:我|俺|咱|偶|本人|我们|俺们|咱们)"
_TO = (
    r"(?:给|跟|向|对|和)(?:你们|您|你|领导|镇里|镇上|乡里|县里|村里|上级|上面|组织|政府|镇政府|乡政府|县委|组织部|"
    r"机器人|这个机器人|系统|这个系统|平台|工作组|各位)"
)
_SOME = r"(?:(?:一|1|两|2|几|一些|些)?(?:个|点|条|件))"
_ON_WHAT = r"(?:一下|下(?!水道)|(?:一|1)?(?:个|件)(?:事儿|事情?|问题|情况))"
_AFTER = r"(?=[:：,，.。!！?？\s—\-~～]|$)"  # a bare label is followed by a break, not by more of a noun (投诉电话)
# what voice input and politeness put before a label: 喂那个…, 嗯…, 书记，…, 领导你好，…
_OPENER = r"(?:(?:喂+|嗯+|呃|额|哎|唉|那个|这个|就是|领导们?|各位领导|书记|主任|老师|同志|你好|您好)[\s,，.。!！~～]*)*"
_STARTS = (
    # 投诉建议：…, 我要投诉建议, 意见建议 …
    rf"(?:{_WHO}?(?:要|想|有)?{_SOME}?)?{FEEDBACK_JOINT}",
    # 怎么投诉, 在哪里提建议 / 投诉建议怎么提: asking how to say it is the wish to say it
    rf"(?:请问)?(?:{_WHO}?(?:要|想))?(?:怎么|如何|咋|怎样|在哪(?:里|儿)?|去哪(?:里|儿)?|哪里)(?:能|可以|才能)?"
    rf"(?:{TOUSU}|提{_SOME}?{SUGGEST}|反映问题)(?:呢|啊|呀)?[?？。.!！]*$",
    rf"(?:{TOUSU}|{SUGGEST})(?:在哪(?:里|儿)?|怎么|如何|去哪(?:里|儿)?|咋)(?:提|发|弄|反映|写|投诉)?(?:呢|啊|呀)?[?？。.!！]*$",
    # 投诉：…, 建议：…, 提议，…, 投诉一下…, a bare 投诉 / 建议
    rf"(?:{TOUSU}|{SUGGEST})(?:[:：—]|[.。!！]*$)",
    rf"提议{_AFTER}",
    rf"{TOUSU}(?:一下|下(?!水道))",
    # 我要投诉…, 俺想投诉下…, 我来投诉一下，…, 我要匿名投诉 (not 我投诉的事…, 我投诉过)
    rf"{_WHO}(?:就|也|还|必须|一定|今天)?(?:要|想|来|得|准备)?(?:实名|匿名)?{TOUSU}{_ON_WHAT}?(?!的|过)",
    rf"(?:要|想)(?:实名|匿名)?{TOUSU}{_ON_WHAT}?(?!的|过)",
    # 提个建议，…, 给镇里提个意见：…, 我想提点建议, 我要提出一个建议
    rf"{_WHO}?(?:再|还|也)?(?:要|想|来|得)?(?:{_TO})?(?:提出|提|说|讲)(?:一下)?{_SOME}?(?:小|个人)?{SUGGEST}(?!的)",
    # 我有个建议，…, 我这儿有个小意见, 有个意见要提
    rf"{_WHO}?(?:这|这儿|这里|这边)?(?:有|还有){_SOME}(?:小)?{SUGGEST}(?:要提|想提|想说|要说|提一下|说一下)?",
    # 有件事要投诉：…, 有个问题想反映一下
    rf"{_WHO}?(?:有|还有){_SOME}(?:事儿|事情?|问题|情况)(?:要|想)(?:{_TO})?(?:{TOUSU}|{KINDLESS})(?:一下|下)?",
    # 我有意见！, 我对镇里的考核有意见 (an objection, not an idea: a complaint)
    rf"{_WHO}(?:对.{{1,15}}?)?有意见(?!的)",
    # 我建议…, 我提议…
    rf"{_WHO}(?:个人)?(?:强烈)?(?:{JIANYI}|提议)",
    # 我要反映个问题，…, 想给领导反映个事儿, 反馈一下：…, 吐槽一下
    rf"{_WHO}?(?:要|想|来)(?:{_TO})?{KINDLESS}{_ON_WHAT}?(?:问题|情况|事儿|事情?)?(?!的)",
    rf"{_WHO}(?:{_TO})?{KINDLESS}{_ON_WHAT}?(?:问题|情况|事儿|事情?)?(?!的)",
    rf"{KINDLESS}(?:一下|下|{_SOME}(?:问题|情况|事儿|事情?))?{_AFTER}",
)
# …，我要投诉
_CLOSING = (
    rf"(?<=[,，。.!！\s])(?:所以|因此|那)?{_WHO}(?:就|也|必须|一定|只能)?(?:要|想|得)(?:{TOUSU}|{KINDLESS})"
    rf"(?:一下|下)?(?:他们|你们|他)?[!！。.~～]*$"
)
FEEDBACK = re.compile(rf"^{_OPENER}(?:{'|'.join(_STARTS)})|{_CLOSING}")
HELP = rx(
    r"""怎么用 如何使用 怎么使用 咋用 使用说明 使用方法 操作说明 说明书 帮助 菜单 功能 不会整 不会搞 在哪里?点 点哪里?
    哪个按钮 在这里(?:直接)?(?:说|发|报) 直接(?:说|发)就行 发语音 语音.{0,6}(?:听懂|识别|能听) 要打字 能听懂 通过机器人 用机器人 在机器人 怎样(?:登记|上报|提交|录入|报|填|发) 能做什么 能干什么 会做什么 会干啥 能干啥 你是谁 教教我 教我 不会弄 不会用 不会操作 格式是 help ^\?$
    这个(?:机器人|助手) 机器人(?:怎么|能|会|咋) 不知道怎么(?:用|弄|报|发|填)
    (?:能|可以|能不能|可不可以|支持)(?:直接)?发(?:送)?(?:语音|图片|照片|视频|位置|定位|文件|表格)
    (?:怎么|如何|咋)(?:撤回|撤销|修改|改|删除|删|录|录入|输入|填写|填|上传|发送|发|报|上报|提交|登记|操作|弄)(?!.{0,6}(?:补助|补贴|报销|费用|工资|钱))
    怎么(?:报|发|填|提交|上报|登记|录入)(?:巡查|请假|会议|走访|下村|三会一课|进度|记录|台账)?(?:啊|呢|呀)?(?:$|[\s,.!?，。！？]|不会)""",
    re.I,
)
CANCEL = rx(r"""撤回 撤销 撤了 撤掉 作废 删掉 删除 删了 报错了 发错了 填错了 弄错了 搞错了 报重复了 重复了
    取消(?:刚才|刚刚|上一条|上条|这条|那条|我的|我刚|本次|之前|前面|刚提交|刚报)
    (?:刚才|刚刚|上一条|上条|那条|这条).{0,8}(?:取消|不要了|作废|撤回|删|不算)""")
NOTIFY_VERB = rx("通知 告诉 转告 提醒 告知 通告 传达给 发给 发到 群发 广播一下")
FORWARDED = re.compile(r"^\s*(?:【转发】|\[转发\]|转发[:：]|转[:：]|【转】|\[转\]|fw[:：]|fwd[:：])", re.I)
HEARSAY = rx(r"听.{0,4}说 据说 听讲")

QUESTION = rx(r"""[?？] 吗(?:$|[\s,.!，。！]) 吗[?？]?$ 么(?:$|[?？]) 呢(?:$|[?？]) 怎么 怎样 咋 如何 多少
    (?<![有好这那十])几(?:个|次|户|人|天|号|点|时|月|年|钱|块|元|名|项|条|处|份)(?=$|[?？呢啊了]|合适|比较|为宜)
    (?:要|需要|至少|最少|超过|满)几 几.{0,6}才(?:能|行|算|有效|可以) 几(?:次|个|天|人)(?:会|就|要|才|算|能|可以)
    了没(?:有|[\u4e00-\u9fa5])?(?:$|[\s?？]) 还有几 第几 几号 几点 几时 哪(?!怕) (?<![没不])(?<!没有)(?<!没发现)(?<!未发现)(?<!没看到)(?<!没见到)(?<!没遇到)(?<!没出)什么 (?<![没不])(?<!没有)(?<!没发现)(?<!未发现)(?<!没看到)啥
    为啥 干啥 做啥 是啥 有啥 啥时候 啥意思 能不能 能否 可不可以 可否 是不是 是否 要不要 需不需要 有没有 有无 谁 为什么 何时
    多久 多长 算不算 行不行 对不对 够不够 会不会 该不该 得不得 用不用
    (?<=.{2})还是(?=一个|每|按|新|老|旧|[\d一二三四五六七八九十]|开|报|算|交|去|写|用|到|跟|找|由|归|以|实|应|在(?!家))
    有.{1,10}没(?:有)?[?？]?$ (?P<xbx>[^\W在\d_a-zA-Z])不(?P=xbx) (?:了|报|去|开|交|下|来)几(?:次|回|趟|个|户|天) [\u4e00-\u9fa5]不[?？]?$
    ^(?:\S{0,4}[,，\s])?(?:我)?(?:想问|请问|问一下|问下|咨询一下|打听一下)""")
EMBEDDED_QUESTION = rx("不知道 不清楚 不确定 不晓得 搞不清 弄不清 说不清 也不知")

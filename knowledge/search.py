"""Offline retrieval: BM25 over jieba words plus CJK character bigrams.

Words carry the meaning (超大支部, 交通补助 — kept whole by the lexicon); bigrams catch what segmentation
gets wrong in short, typo-ridden questions (三会一棵, 网格圆). Both go into one bag of terms. Synonyms from the
lexicon add the documents' word next to the asker's (补贴 → 补助). `bench/ask.py --compare` measures words,
bigrams and both on the labelled questions; both together won (see the note in that file).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba
import yaml

LEXICON = Path(__file__).with_name("lexicon.yaml")
CJK = re.compile(r"[\u4e00-\u9fff]+")
ASCII_WORD = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?%?")
# Words that say nothing about the topic: question forms, politeness, the bot's own name for things.
_STOP_WORDS = (
    "的 了 吗 呢 吧 啊 呀 么 是 有 在 和 与 及 或 要 会 能 可 可以 能不能 是不是 有没有 要不要 会不会 怎么 怎么样 怎样 如何 "
    "什么 哪些 哪个 哪 几 多少 多久 一下 请问 请 您 你 我 我们 他 她 它 这 那 这个 那个 就 都 也 还 又 把 被 给 让 对 "
    "为 为什么 吗 嘛 哦 呗 啥 咋 该 得 地 着 过 一 个 上 下 中 里 后 前 之 以 从 到 时候 时 去 来 做 搞 办 算 说 讲 问"
)
STOP = frozenset(_STOP_WORDS.split())
# Characters that make a bigram about the question's form, not its topic (是哪, 多少, 怎么).
FUNCTION_CHARS = set("的了吗呢吧啊呀么是哪什怎几多少这那个就都也还把被给让您你我他她它们请该得着过啥咋嘛哦呗吗")
Mode = str  # "words" | "bigrams" | "both"


@dataclass(frozen=True)
class Lexicon:
    words: tuple[str, ...]
    synonyms: dict[str, str]


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON) -> Lexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    synonyms = {str(k): str(v) for k, v in (data.get("synonyms") or {}).items() if str(k) != str(v)}
    return Lexicon(tuple(str(w) for w in data.get("words") or ()), synonyms)


class Tokenizer:
    def __init__(self, lexicon: Lexicon, mode: Mode = "both") -> None:
        jieba.setLogLevel(logging.WARNING)
        self.jieba = jieba.Tokenizer()
        for word in (*lexicon.words, *lexicon.synonyms, *lexicon.synonyms.values()):
            self.jieba.add_word(word, freq=20000)
        self.synonyms = lexicon.synonyms
        self.mode = mode
        # longest first, so 下村补贴 is rewritten before 补贴
        self._rewrites = sorted(lexicon.synonyms.items(), key=lambda kv: -len(kv[0]))

    def expand(self, text: str) -> str:
        extra = [target for source, target in self._rewrites if source in text and target not in text]
        return text + (" " + " ".join(extra) if extra else "")

    def terms(self, text: str) -> list[str]:
        text = text.replace("“", "").replace("”", "").replace("「", "").replace("」", "")
        out: list[str] = []
        if self.mode in ("words", "both"):
            for word in self.jieba.lcut_for_search(text):
                word = word.strip()
                if word and word not in STOP and (CJK.fullmatch(word) or ASCII_WORD.fullmatch(word)):
                    out.append(word)
        if self.mode in ("bigrams", "both"):
            for run in CJK.findall(text):
                out += [
                    "#" + run[i : i + 2]
                    for i in range(len(run) - 1)
                    if run[i] not in FUNCTION_CHARS and run[i + 1] not in FUNCTION_CHARS
                ]
        return out


@dataclass(frozen=True)
class Hit:
    index: int
    score: float
    coverage: float  # how much of the question's information (by idf) the document matched, 0–1


class BM25:
    def __init__(self, docs: Sequence[list[str]], k1: float = 1.4, b: float = 0.7) -> None:
        self.k1, self.b = k1, b
        self.tfs = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg = sum(self.lengths) / max(len(docs), 1)
        df: Counter[str] = Counter()
        for tf in self.tfs:
            df.update(tf.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)  # a term no document has: as informative as it gets
        self.postings: dict[str, list[int]] = {}
        for i, tf in enumerate(self.tfs):
            for t in tf:
                self.postings.setdefault(t, []).append(i)

    def search(self, query: Iterable[str], limit: int = 5) -> list[Hit]:
        terms = list(dict.fromkeys(query))
        if not terms:
            return []
        scores: dict[int, float] = {}
        matched: dict[int, float] = {}
        total_info = sum(self.idf.get(t, self.unknown_idf) for t in terms)
        for t in terms:
            idf = self.idf.get(t)
            if idf is None:
                continue
            for i in self.postings[t]:
                tf = self.tfs[i][t]
                norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg))
                scores[i] = scores.get(i, 0.0) + idf * norm
                matched[i] = matched.get(i, 0.0) + idf
        best = sorted(scores, key=lambda i: -scores[i])[:limit]
        return [Hit(i, scores[i], matched[i] / total_info if total_info else 0.0) for i in best]

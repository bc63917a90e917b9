"""Roster import: a CSV or XLSX of people → the org tree and the people table, whole file or nothing.

Columns (Chinese or English headers): 姓名/name, 企业微信账号/wecom_userid, 钉钉账号/dingtalk_userid,
手机/mobile, 角色/roles (comma-separated), 组织/org (a path such as 石桥镇/李家村/3组).
Every bad row is reported with its row number and the reason; if there is one, nothing is written.
A re-import updates people matched by their WeCom or DingTalk account and never duplicates them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.roles import PARTY_STATUS, ROLE_LABELS, OrgKind, Role, org_kind, parse_role
from bot.store.tables import AuditLog, Org, Person, PersonRole

HEADERS: dict[str, str] = {
    "姓名": "name",
    "name": "name",
    "企业微信账号": "wecom_userid",
    "企业微信": "wecom_userid",
    "企业微信id": "wecom_userid",
    "wecom_userid": "wecom_userid",
    "钉钉账号": "dingtalk_userid",
    "钉钉": "dingtalk_userid",
    "钉钉id": "dingtalk_userid",
    "dingtalk_userid": "dingtalk_userid",
    "手机": "mobile",
    "手机号": "mobile",
    "mobile": "mobile",
    "角色": "roles",
    "roles": "roles",
    "组织": "org",
    "org": "org",
}
REQUIRED = ("name", "roles", "org")
COLUMN_LABELS = {
    "name": "姓名",
    "wecom_userid": "企业微信账号",
    "dingtalk_userid": "钉钉账号",
    "mobile": "手机",
    "roles": "角色",
    "org": "组织",
}

_USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ROLE_SPLIT = re.compile(r"[,，、;；/|\s]+")
DEMO_ROSTER = Path(__file__).parent / "demo" / "roster.csv"


@dataclass
class RowError:
    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"第{self.row}行" + (f"「{COLUMN_LABELS.get(self.column, self.column)}」" if self.column else "")
        return f"{where}: {self.reason}"


class RosterError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the roster")
        self.errors = errors


@dataclass
class RosterRow:
    row: int
    name: str
    wecom_userid: str | None
    dingtalk_userid: str | None
    mobile: str | None
    roles: list[Role]
    org_path: str
    party_status: str | None = None


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    orgs_created: int = 0
    people: list[str] = field(default_factory=list)


# -- reading ------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile number typed into Excel arrives as a float
    return str(value).strip()


def read_table(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of the file as (row number as a spreadsheet shows it, {canonical column: value})."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise RosterError([RowError(0, None, f"无法读取Excel文件: {exc}")]) from None
        sheet = wb.worksheets[0]
        raw = [[_cell(c) for c in r] for r in sheet.iter_rows(values_only=True)]
        wb.close()
    elif suffix in (".csv", ".txt"):
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterError([RowError(0, None, "文件编码无法识别，请另存为UTF-8的CSV")])
        try:
            raw = [[_cell(c) for c in r] for r in csv.reader(io.StringIO(text))]
        except csv.Error as exc:  # e.g. a cell over csv.field_size_limit()
            raise RosterError([RowError(0, None, f"CSV文件格式有误: {exc}")]) from None
    else:
        raise RosterError([RowError(0, None, f"不支持的文件类型 {suffix or '(无扩展名)'}，请用 .csv 或 .xlsx")])

    if not raw or not any(raw[0]):
        raise RosterError([RowError(1, None, "第一行应为表头：姓名, 企业微信账号, 钉钉账号, 手机, 角色, 组织")])
    header = [HEADERS.get(h.strip().lower()) or HEADERS.get(h.strip()) for h in raw[0]]
    missing = [COLUMN_LABELS[c] for c in REQUIRED if c not in header]
    if missing:
        raise RosterError([RowError(1, None, f"表头缺少列：{'、'.join(missing)}")])
    rows = []
    for number, values in enumerate(raw[1:], start=2):
        if not any(values):
            continue
        record = {col: values[i] if i < len(values) else "" for i, col in enumerate(header) if col}
        rows.append((number, record))
    return rows


# -- validating ---------------------------------------------------------------------------------------


def _norm_mobile(text: str) -> str:
    digits = re.sub(r"[\s\-()]", "", text)
    return digits.removeprefix("+86").removeprefix("0086")


def validate(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[RosterRow], list[RowError]]:
    good: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    allowed_roles = "、".join(ROLE_LABELS.values())
    for number, rec in rows:
        row_errors: list[RowError] = []
        if any("\x00" in value for value in rec.values()):  # PostgreSQL stores no NUL in text
            errors.append(RowError(number, None, "含有不可见的控制字符（NUL），请检查这一行"))
            continue
        name = rec.get("name", "")
        if not name:
            row_errors.append(RowError(number, "name", "姓名不能为空"))
        elif len(name) > 50:
            row_errors.append(RowError(number, "name", "姓名过长（最多50字）"))

        accounts: dict[str, str | None] = {}
        for col in ("wecom_userid", "dingtalk_userid"):
            value = rec.get(col, "") or None
            if value is not None and not _USERID.fullmatch(value):
                row_errors.append(RowError(number, col, f"账号「{value}」只能含字母、数字和 _ . @ -，最长64位"))
                value = None
            if col == "wecom_userid" and value:
                value = value.lower()  # WeCom userids are case-insensitive
            if value:
                first = seen.get((col, value))
                if first is not None:
                    row_errors.append(RowError(number, col, f"与第{first}行的账号「{value}」重复"))
                else:
                    seen[(col, value)] = number
            accounts[col] = value
        if not rec.get("wecom_userid") and not rec.get("dingtalk_userid"):
            row_errors.append(RowError(number, None, "企业微信账号和钉钉账号至少填写一个"))

        mobile = _norm_mobile(rec.get("mobile", "")) or None
        if mobile is not None and not _MOBILE.fullmatch(mobile):
            row_errors.append(RowError(number, "mobile", "手机号应为11位大陆手机号"))

        roles: list[Role] = []
        party_status: str | None = None
        for part in _ROLE_SPLIT.split(rec.get("roles", "")):
            if not part:
                continue
            if part in PARTY_STATUS and party_status in (None, "正式"):
                party_status = PARTY_STATUS[part]
            role = parse_role(part)
            if role is None:
                row_errors.append(RowError(number, "roles", f"未知角色「{part}」，可用：{allowed_roles}"))
            elif role not in roles:
                roles.append(role)
        if Role.PARTY_MEMBER in roles and party_status is None:
            party_status = "正式"
        if not roles and not any(e.column == "roles" for e in row_errors):
            row_errors.append(RowError(number, "roles", f"至少填写一个角色（{allowed_roles}）"))

        segments = [s.strip() for s in re.split(r"[/／>]", rec.get("org", ""))]
        if not rec.get("org"):
            row_errors.append(RowError(number, "org", "组织不能为空，例如 石桥镇/李家村/3组"))
        elif any(not s for s in segments):
            row_errors.append(RowError(number, "org", "组织路径中有空的一级，例如多写了「/」"))
        elif len("/".join(segments)) > 500:  # the length of orgs.path
            row_errors.append(RowError(number, "org", "组织路径过长（最多500字）"))
        else:
            for seg in segments:
                if len(seg) > 100:
                    row_errors.append(RowError(number, "org", f"「{seg[:20]}…」过长"))
                elif org_kind(seg) is None:
                    row_errors.append(
                        RowError(
                            number,
                            "org",
                            f"无法识别「{seg}」的组织类型（名称应以 县/镇/乡/村/社区/组/网格/党支部/党小组 等结尾）",
                        )
                    )
        if row_errors:
            errors.extend(row_errors)
            continue
        good.append(
            RosterRow(
                row=number,
                name=name,
                wecom_userid=accounts["wecom_userid"],
                dingtalk_userid=accounts["dingtalk_userid"],
                mobile=mobile,
                roles=roles,
                org_path="/".join(segments),
                party_status=party_status,
            )
        )
    return good, errors


# -- writing ------------------------------------------------------------------------------------------


def ensure_org(session: Session, path: str, cache: dict[str, Org]) -> tuple[Org, int]:
    """The org at `path`, creating it and any missing ancestors; returns (org, how many were created)."""
    created = 0
    parent: Org | None = None
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        org = cache.get(sub)
        if org is None:
            org = session.scalar(select(Org).where(Org.path == sub))
        if org is None:
            name = parts[depth - 1]
            org = Org(name=name, kind=(org_kind(name) or OrgKind.DEPARTMENT).value, parent=parent, path=sub)
            session.add(org)
            session.flush()
            created += 1
        cache[sub] = org
        parent = org
    assert parent is not None
    return parent, created


def import_roster(
    session: Session, path: Path, *, actor: str = "cli", deactivate_missing: bool = False
) -> ImportReport:
    """Validate the whole file, then write it in the caller's transaction. Raises RosterError."""
    rows, errors = validate(read_table(path))
    if not errors:
        errors = _conflicts_with_database(session, rows)
    if errors:
        raise RosterError(errors)

    report = ImportReport(rows=len(rows))
    cache: dict[str, Org] = {}
    seen_ids: set[int] = set()
    for row in rows:
        org, made = ensure_org(session, row.org_path, cache)
        report.orgs_created += made
        person = _find(session, row)
        roles = sorted(r.value for r in row.roles)
        if person is None:
            person = Person(
                name=row.name,
                wecom_userid=row.wecom_userid,
                dingtalk_userid=row.dingtalk_userid,
                mobile=row.mobile,
                org=org,
                active=True,
                party_status=row.party_status,
                role_rows=[PersonRole(role=r) for r in roles],
            )
            session.add(person)
            report.created += 1
        else:
            before = (
                person.name,
                person.wecom_userid,
                person.dingtalk_userid,
                person.mobile,
                person.org_id,
                person.active,
                sorted(person.roles),
                person.party_status,
            )
            person.name = row.name
            person.wecom_userid = row.wecom_userid
            person.dingtalk_userid = row.dingtalk_userid
            person.mobile = row.mobile
            person.org = org
            person.active = True
            person.party_status = row.party_status
            if sorted(person.roles) != roles:
                person.role_rows = [PersonRole(role=r) for r in roles]
            after = (row.name, row.wecom_userid, row.dingtalk_userid, row.mobile, org.id, True, roles, row.party_status)
            if before == after:
                report.unchanged += 1
            else:
                report.updated += 1
        session.flush()
        seen_ids.add(person.id)
        report.people.append(row.name)

    if deactivate_missing:
        for person in session.scalars(select(Person).where(Person.active.is_(True))):
            if person.id not in seen_ids:
                person.active = False
                report.deactivated += 1

    session.add(
        AuditLog(
            actor=actor,
            action="roster.import",
            target=path.name,
            detail={
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "deactivated": report.deactivated,
                "orgs_created": report.orgs_created,
            },
        )
    )
    return report


def _find(session: Session, row: RosterRow) -> Person | None:
    if row.wecom_userid:
        person = session.scalar(select(Person).where(Person.wecom_userid == row.wecom_userid))
        if person is not None:
            return person
    if row.dingtalk_userid:
        return session.scalar(select(Person).where(Person.dingtalk_userid == row.dingtalk_userid))
    return None


def _conflicts_with_database(session: Session, rows: list[RosterRow]) -> list[RowError]:
    """A row whose WeCom and DingTalk accounts belong to two different people already on file."""
    errors = []
    for row in rows:
        if not (row.wecom_userid and row.dingtalk_userid):
            continue
        a = session.scalar(select(Person.id).where(Person.wecom_userid == row.wecom_userid))
        b = session.scalar(select(Person.id).where(Person.dingtalk_userid == row.dingtalk_userid))
        if a is not None and b is not None and a != b:
            errors.append(RowError(row.row, None, "企业微信账号和钉钉账号分别属于名册中的两个人，请先核对"))
    return errors

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
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from bot.roles import MANAGER_FIRST, PARTY_STATUS, ROLE_LABELS, OrgKind, Role, org_kind, parse_role
from bot.store.tables import AuditLog, ConsoleSession, Org, Person, PersonRole

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
    on_file = _OnFile(session, rows) if not errors else None
    if on_file is not None:
        errors = _conflicts_with_database(session, rows, on_file)
    if errors or on_file is None:
        raise RosterError(errors)

    report = ImportReport(rows=len(rows))
    cache: dict[str, Org] = {}
    seen_ids: set[int] = set()
    written: list[Person] = []
    for row in rows:
        org, made = ensure_org(session, row.org_path, cache)
        report.orgs_created += made
        person = on_file.find(row)
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
            on_file.forget(person)
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
        on_file.note(person)
        written.append(person)
        if len(written) >= FLUSH_EVERY:
            seen_ids.update(_flushed(session, written))
        report.people.append(row.name)
    seen_ids.update(_flushed(session, written))

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


# Rows written per flush. Safe to batch: the checks above leave no row taking an account another person holds
# (validate: no account twice in the file; _conflicts_with_database: none of two people on file), and within a
# flush SQLAlchemy updates before it inserts, so an account one row gives up is free when another row's new
# person takes it.
FLUSH_EVERY = 500


def _flushed(session: Session, people: list[Person]) -> list[int]:
    session.flush()
    ids = [p.id for p in people]
    people.clear()
    return ids


class _OnFile:
    """Who the file's accounts belong to, read in two batched queries and kept current as the rows are written:
    what a query per row would answer (a row matches by its WeCom account, else its DingTalk one), without the
    two round trips a row that made a county's file take most of a minute on PostgreSQL."""

    def __init__(self, session: Session, rows: list[RosterRow]) -> None:
        self.wecom = _people_by(session, "wecom", {r.wecom_userid for r in rows if r.wecom_userid})
        self.dingtalk = _people_by(session, "dingtalk", {r.dingtalk_userid for r in rows if r.dingtalk_userid})

    def find(self, row: RosterRow) -> Person | None:
        if row.wecom_userid:
            person = self.wecom.get(row.wecom_userid)
            if person is not None:
                return person
        if row.dingtalk_userid:
            return self.dingtalk.get(row.dingtalk_userid)
        return None

    def forget(self, person: Person) -> None:
        """Before the person's accounts change: they no longer answer to the old ones."""
        if person.wecom_userid and self.wecom.get(person.wecom_userid) is person:
            del self.wecom[person.wecom_userid]
        if person.dingtalk_userid and self.dingtalk.get(person.dingtalk_userid) is person:
            del self.dingtalk[person.dingtalk_userid]

    def note(self, person: Person) -> None:
        if person.wecom_userid:
            self.wecom[person.wecom_userid] = person
        if person.dingtalk_userid:
            self.dingtalk[person.dingtalk_userid] = person


def _conflicts_with_database(session: Session, rows: list[RosterRow], on_file: _OnFile | None = None) -> list[RowError]:
    """A row whose WeCom and DingTalk accounts belong to two different people already on file."""
    both = [r for r in rows if r.wecom_userid and r.dingtalk_userid]
    on_file = on_file or _OnFile(session, both)
    errors = []
    for row in both:
        a = on_file.wecom.get(row.wecom_userid or "")
        b = on_file.dingtalk.get(row.dingtalk_userid or "")
        if a is not None and b is not None and a.id != b.id:
            errors.append(RowError(row.row, None, "企业微信账号和钉钉账号分别属于名册中的两个人，请先核对"))
    return errors


# -- checking an uploaded file ------------------------------------------------------------------------

XLSX_UNPACKED_LIMIT = 64 * 1024 * 1024  # a county's roster unpacks to a few MB; a zip bomb to gigabytes
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def file_kind(data: bytes, filename: str) -> str:
    """ ".csv" or ".xlsx": what an uploaded file is, by its content as well as its name; RosterError (row 0:
    the file as a whole) for anything else — empty, old .xls, a picture renamed .csv, a zip that is no workbook."""
    suffix = Path(filename or "").suffix.lower()
    if not data:
        raise RosterError([RowError(0, None, "文件是空的，请选择填好的名册文件")])
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterError([RowError(0, None, "这是旧版Excel（.xls）文件，请在Excel中另存为 .xlsx 或 .csv 后再上传")])
    if suffix not in (".csv", ".xlsx"):
        raise RosterError([RowError(0, None, f"不支持的文件类型「{suffix or '无扩展名'}」，只接受 .csv 或 .xlsx 文件")])
    if data.startswith(b"PK\x03\x04"):
        if suffix != ".xlsx":
            raise RosterError([RowError(0, None, "文件名是 .csv，但内容是Excel文件，请把扩展名改为 .xlsx")])
        _check_workbook(data)
        return ".xlsx"
    if suffix == ".xlsx":
        raise RosterError([RowError(0, None, "文件名是 .xlsx，但内容不是Excel文件，请在Excel中重新保存")])
    text = _decoded(data)
    if text is None or _TEXT_CONTROL.search(text):
        raise RosterError([RowError(0, None, "文件内容不是CSV表格（含有无法识别的字符），请在Excel中另存为CSV")])
    return ".csv"


def _decoded(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):  # as read_table tries them
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _check_workbook(data: bytes) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise RosterError([RowError(0, None, "Excel文件已损坏，无法打开，请重新保存后再上传")]) from None
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        raise RosterError([RowError(0, None, "压缩文件不是Excel工作簿，请上传 .xlsx 或 .csv 名册")])
    if sum(e.file_size for e in entries) > XLSX_UNPACKED_LIMIT:
        raise RosterError([RowError(0, None, "Excel文件解压后过大，请删去无关的工作表或另存为CSV")])


def checked_rows(session: Session, path: Path) -> list[RosterRow]:
    """The file's rows after every check import_roster makes — its own and against the database — without
    writing anything; RosterError with every problem, row by row."""
    try:
        table = read_table(path)
    except RosterError:
        raise
    except Exception as exc:  # openpyxl can fail late, while reading a damaged sheet's rows
        raise RosterError([RowError(0, None, f"无法读取文件: {type(exc).__name__}")]) from None
    rows, errors = validate(table)
    if not errors:
        errors = _conflicts_with_database(session, rows)
    if errors:
        raise RosterError(errors)
    return rows


# -- what an import would change ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str
    phone: bool = False  # shown through the viewer's masking


@dataclass
class PersonChange:
    row: RosterRow
    person_id: int
    name: str  # as the roster has them now
    changes: list[FieldChange]


@dataclass
class ImportPreview:
    """What import_roster would do with these rows, read from the database as it is now."""

    rows: int = 0
    new: list[RosterRow] = field(default_factory=list)
    changed: list[PersonChange] = field(default_factory=list)
    unchanged: int = 0
    orgs_created: list[str] = field(default_factory=list)


def role_text(roles: list[str] | list[Role]) -> str:
    """Roles by their Chinese names, manager-first."""
    held = sorted({Role(r) for r in roles}, key=MANAGER_FIRST.index)
    return "、".join(r.label for r in held)


def preview_import(session: Session, rows: list[RosterRow]) -> ImportPreview:
    """New people, changed people (field by field) and the orgs that would be created; checked rows in
    (checked_rows), nothing written. Looks people up in batches: a county's file is 20,000 rows."""
    preview = ImportPreview(rows=len(rows))
    on_file = _OnFile(session, rows)
    for row in rows:
        person = on_file.find(row)
        if person is None:
            preview.new.append(row)
            continue
        changes = _changes(person, row)
        if changes:
            preview.changed.append(PersonChange(row=row, person_id=person.id, name=person.name, changes=changes))
        else:
            preview.unchanged += 1

    wanted: list[str] = []
    for row in rows:
        parts = row.org_path.split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            if sub not in wanted:
                wanted.append(sub)
    existing: set[str] = set()
    for chunk in _chunks(wanted):
        existing.update(session.scalars(select(Org.path).where(Org.path.in_(chunk))))
    preview.orgs_created = [p for p in wanted if p not in existing]
    return preview


def _people_by(session: Session, account: str, values: set[str]) -> dict[str, Person]:
    """People on file by their WeCom (account="wecom") or DingTalk account."""
    column = Person.wecom_userid if account == "wecom" else Person.dingtalk_userid
    found: dict[str, Person] = {}
    for chunk in _chunks(sorted(values)):
        for person in session.scalars(select(Person).where(column.in_(chunk)).options(joinedload(Person.org))):
            key = person.wecom_userid if account == "wecom" else person.dingtalk_userid
            if key:
                found[key] = person
    return found


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _changes(person: Person, row: RosterRow) -> list[FieldChange]:
    """What import_roster would change on this person (the fields it compares, in its order)."""
    found: list[FieldChange] = []

    def compare(label: str, before: str | None, after: str | None, phone: bool = False) -> None:
        if (before or "") != (after or ""):
            found.append(FieldChange(label, before or "—", after or "—", phone))

    compare("姓名", person.name, row.name)
    compare("企业微信账号", person.wecom_userid, row.wecom_userid)
    compare("钉钉账号", person.dingtalk_userid, row.dingtalk_userid)
    compare("手机", person.mobile, row.mobile, phone=True)
    compare("组织", person.org.path, row.org_path)
    if not person.active:
        found.append(FieldChange("状态", "已停用", "在用"))
    if sorted(person.roles) != sorted(r.value for r in row.roles):
        found.append(FieldChange("角色", role_text(person.roles) or "—", role_text(row.roles)))
    compare("党员状态", person.party_status, row.party_status)
    return found


# -- changing one person ------------------------------------------------------------------------------


def set_roles(session: Session, person: Person, roles: list[Role], now: datetime) -> bool:
    """Give the person exactly these roles (at least one); a new 党员 is 正式 until a roster says otherwise.
    Returns whether anything changed."""
    if not roles:
        raise ValueError("a person keeps at least one role")
    wanted = {r.value for r in roles}
    if set(person.roles) == wanted:
        return False
    person.role_rows = [r for r in person.role_rows if r.role in wanted] + [
        PersonRole(role=r) for r in sorted(wanted - set(person.roles))
    ]
    if Role.PARTY_MEMBER.value in wanted:
        person.party_status = person.party_status or "正式"
    else:
        person.party_status = None
    person.updated_at = now  # the roster's stamp (bot/store/people.py) moves with every change
    return True


def set_active(session: Session, person: Person, active: bool, now: datetime) -> bool:
    """Deactivate (they can no longer use the bot or the 工作台) or reactivate a person. Deactivating also ends
    their 工作台 sessions for good, so a later reactivation does not bring an old cookie back to life."""
    if person.active == active:
        return False
    person.active = active
    person.updated_at = now
    if not active:
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.person_id == person.id, ConsoleSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return True

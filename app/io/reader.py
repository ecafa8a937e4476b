"""Read an import file (CSV, XLSX, XLS) as a stream of text rows keyed by canonical columns.

Every importer goes through :func:`open_table`::

    table = open_table("交易明细.csv", "transactions", profile="lakala")
    for row_no, (tx_id, amount) in table.rows(["tx_id", "amount"]):
        ...

What the reader does, so the importers do not have to:

* finds the header row (the first non-blank row; a few title rows above it, as payment
  companies' exports have, are skipped when a later row is the real header) and maps its
  cells to canonical keys: Chinese or English names from FORMATS.md and common synonyms,
  full-width or half-width, with or without spaces, a ``*`` marker or a ``(元)`` unit;
* refuses, with one Chinese message naming the file, whatever makes the file unreadable as
  a whole: missing, empty, binary, password-protected, corrupt, required columns missing
  (saying which kind the file looks like when the user picked the wrong import);
* turns every cell into text: NFKC and trimmed, Excel dates as ``YYYY-MM-DD[ HH:MM:SS]``,
  Excel numbers exactly as the cell holds them (``12.3``, never ``12.300000000000001`` nor
  a rounded ``12.30``), so the strict parsers in ``app.core.money`` see what the user sees;
* applies an import profile (``resources/profiles/*.json``): extra header names, value
  maps (``贷记卡`` → ``credit``), amounts in fen, a date and a time column joined.

Rows are streamed: :meth:`Table.rows` re-reads the file on each call and never holds it in
memory.  The CSV path is the hot one (two million transactions a month), hence the
row-level fast path in :meth:`Table.rows`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import json
import operator
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from app.core import vocabulary
from app.core.errors import RowError, UserError
from app.core.money import normalize_text
from app.io.team_columns import TEAM_COLUMNS, TEAM_LABELS
from app.io.trailer import SummaryWatch, might_be_summary, sum_amounts
from app.resources import resource_path

__all__ = [
    "KINDS",
    "KIND_COLUMNS",
    "KIND_LABELS",
    "ColumnSpec",
    "Profile",
    "Table",
    "list_profiles",
    "load_profile",
    "open_table",
    "profiles_dir",
]

# ---------------------------------------------------------------------------- columns

KINDS: tuple[str, ...] = (
    "agents",
    "products",
    "prices",
    "policies",
    "terminals",
    "moves",
    "activations",
    "transactions",
    "adjustments",
    "company_report",
)


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its key, the header names accepted for it, required or not."""

    key: str
    names: tuple[str, ...]
    required: bool = False


def _c(key: str, *names: str, required: bool = False) -> ColumnSpec:
    # The first name is the Chinese one used in messages; the key itself is always accepted.
    return ColumnSpec(key, (*names, key), required)


_R = True  # readability of the table below: _c(..., required=_R)

_SN = ("终端SN", "SN", "SN号", "SN码", "机具SN", "机身号", "机具编号", "终端序列号", "序列号")
_PRODUCT = ("产品编号", "产品编码", "产品代码", "product_code")
_AGENT = ("代理编号", "代理商编号", "代理编码", "代理商编码", "agent_code")
_EFFECTIVE = ("生效日期", "生效时间", "起始日期", "开始日期")

KIND_COLUMNS: dict[str, list[ColumnSpec]] = {
    "agents": [
        _c("code", "代理编号", "代理商编号", "代理编码", "代理商编码", "agent_code", required=_R),
        _c("name", "代理名称", "代理商名称", "代理姓名", "姓名", "名称", "agent_name", required=_R),
        _c(
            "parent",
            "上级编号",
            "上级代理编号",
            "上级代理商编号",
            "上级代理",
            "上级",
            "parent_code",
        ),
        _c("status", "状态", "代理状态"),
        _c("phone", "手机", "手机号", "手机号码", "联系电话", "电话", "mobile"),
        _c("id_no", "身份证号", "身份证", "身份证号码", "证件号", "证件号码"),
        _c("payout", "结算方式", "出款方式", "发放方式"),
        _c("tax_rate", "税点", "税率"),
        _c("bank", "开户行", "开户银行", "银行名称"),
        _c("bank_account", "银行卡号", "结算卡号", "银行账号", "结算账号"),
        _c("joined", "加入日期", "入网日期", "注册日期", "加入时间"),
        _c("note", "备注", "说明", "remark"),
    ],
    "products": [
        _c("code", "产品编号", "产品编码", "产品代码", "product_code", required=_R),
        _c("name", "产品名称", "product_name", required=_R),
        _c("company", "支付公司", "支付机构", "所属支付公司"),
        _c("activation_min", "激活门槛", "激活金额门槛"),
        _c("qualify_days", "达标天数", "考核天数"),
        _c("qualify_volume", "达标交易额", "达标金额", "考核交易额"),
        _c("deposit_days", "押金期限天数", "押金期限", "押金天数"),
        _c("company_cashback", "公司激活返现"),
        _c("company_qualify_bonus", "公司达标奖励"),
        _c("company_unqualified_penalty", "公司未达标扣款"),
    ],
    "prices": [
        _c("product", *_PRODUCT, required=_R),
        _c("effective_from", *_EFFECTIVE, required=_R),
        _c("credit_rate", "贷记卡费率", "信用卡费率", "贷记费率", required=_R),
        _c("debit_rate", "借记卡费率", "储蓄卡费率", "借记费率", required=_R),
        _c("debit_cap", "借记卡封顶", "借记封顶", "封顶", "封顶金额"),
        _c("scan_rate", "扫码费率", "二维码费率", required=_R),
        _c("per_txn", "单笔手续费", "单笔费用", "每笔手续费"),
    ],
    "policies": [
        _c("agent", *_AGENT, required=_R),
        _c("product", *_PRODUCT, required=_R),
        _c("effective_from", *_EFFECTIVE, required=_R),
        _c("credit_rate", "贷记卡结算价", "信用卡结算价", "贷记结算价", required=_R),
        _c("debit_rate", "借记卡结算价", "储蓄卡结算价", "借记结算价", required=_R),
        _c("debit_cap", "借记卡封顶", "借记封顶", "封顶"),
        _c("scan_rate", "扫码结算价", "二维码结算价", required=_R),
        _c("per_txn", "单笔成本", "单笔结算价"),
        _c("cashback", "激活返现", "返现"),
        _c("qualify_bonus", "达标奖励"),
        _c("unqualified_penalty", "未达标扣款"),
        _c("deposit", "押金", "押金金额"),
    ],
    "terminals": [
        _c("sn", *_SN, required=_R),
        _c("product", *_PRODUCT, required=_R),
        _c("stocked", "入库日期", "入库时间", required=_R),
    ],
    "moves": [
        _c("sn", *_SN, required=_R),
        _c("date", "日期", "操作日期", "划拨日期", "下发日期", required=_R),
        _c("action", "动作", "操作", "操作类型", required=_R),
        _c("agent", *_AGENT, "目标代理", "接收代理编号"),
        _c("deposit_method", "押金方式", "押金扣除方式"),
    ],
    "activations": [
        _c("sn", *_SN, required=_R),
        _c("activated", "激活日期", "激活时间", required=_R),
        _c("merchant_no", "商户编号", "商户号", "商户编码"),
        _c("merchant_name", "商户名称", "商户名"),
    ],
    "transactions": [
        _c(
            "tx_id",
            "交易流水号",
            "流水号",
            "交易参考号",
            "参考号",
            "订单号",
            "交易订单号",
            required=_R,
        ),
        _c("time", "交易时间", "交易日期时间", "交易日期", "时间", required=_R),
        _c("sn", *_SN, required=_R),
        _c("merchant_no", "商户编号", "商户号", "商户编码"),
        _c("amount", "交易金额", "金额", required=_R),
        _c("category", "卡类型", "卡种", "卡类别", "支付方式", required=_R),
        _c("status", "交易状态", "状态"),
        _c("fee", "手续费", "商户手续费"),
    ],
    "adjustments": [
        _c("agent", *_AGENT, required=_R),
        _c("product", *_PRODUCT, required=_R),
        _c("month", "月份", "调整月份", "结算月份", required=_R),
        _c("amount", "金额", "调整金额", required=_R),
        _c("reason", "原因", "调整原因", "备注", "说明", required=_R),
    ],
    # the payment company's settlement report (对账): SN or merchant, one of them, per row
    "company_report": [
        _c("month", "月份", "结算月份", "分润月份", "交易月份", required=_R),
        _c("sn", *_SN),
        _c("merchant_no", "商户编号", "商户号", "商户编码"),
        _c("product", *_PRODUCT),
        _c("amount", "分润金额", "结算金额", "分润", "金额", required=_R),
    ],
}

# the kinds in the window's words, said once (app.core.vocabulary)
KIND_LABELS: dict[str, str] = vocabulary.KIND_LABELS

# the office's own team (DOMAIN §8): staff, merchants, tickets, plans, adjustments, contacts
for _kind, _columns in TEAM_COLUMNS.items():
    KIND_COLUMNS[_kind] = [_c(key, *names, required=req) for key, names, req in _columns]
KIND_LABELS.update(TEAM_LABELS)
KINDS = KINDS + tuple(TEAM_COLUMNS)

# Money columns that a profile with "amount_unit": "fen" converts to yuan text.
_FEN_KEYS = ("amount", "fee")

# ---------------------------------------------------------------------------- headers

_HEADER_DROP = re.compile(r"[\s_\-]+")
_HEADER_SUFFIX = re.compile(r"\((?:元|%|必填|选填|可选)\)$")
_HEADER_SCAN_ROWS = 20  # non-blank rows searched for the header (title rows above it)


def header_key(text: object) -> str:
    """The form a header is compared in: NFKC, no spaces, lower case, no ``*`` or ``(元)``."""
    t = _HEADER_DROP.sub("", unicodedata.normalize("NFKC", str(text))).lower()
    prev = None
    while t != prev:
        prev = t
        t = _HEADER_SUFFIX.sub("", t.strip("*"))
    return t


def _standard_names(kind: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for spec in KIND_COLUMNS[kind]:
        for name in spec.names:
            hk = header_key(name)
            if names.setdefault(hk, spec.key) != spec.key:  # pragma: no cover - table bug
                raise AssertionError(f"{kind}: header {name!r} names two columns")
    return names


_STANDARD = {kind: _standard_names(kind) for kind in KINDS}
_SPEC = {kind: {s.key: s for s in KIND_COLUMNS[kind]} for kind in KINDS}

# ---------------------------------------------------------------------------- profiles


@dataclass
class Profile:
    """A payment company's export layout mapped onto a canonical kind (data, not code)."""

    name: str
    company: str
    kinds: tuple[str, ...]
    description: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    amount_unit: str = "yuan"
    combine_date_time: tuple[str, str] | None = None  # (date header, time header)
    path: Path | None = None

    def value_lookup(self, key: str) -> dict[str, str]:
        """The value map of ``key`` keyed the way cell text arrives (normalised, lower case,
        codes like ``01`` also as ``1`` because Excel drops the leading zero)."""
        lookup: dict[str, str] = {}
        for raw, target in self.values.get(key, {}).items():
            k = normalize_text(raw)
            for variant in (k, k.lower(), str(int(k)) if k.isdigit() else k):
                lookup.setdefault(variant, target)
        return lookup


def profiles_dir() -> Path:
    """The folder of the shipped profiles (inside a PyInstaller bundle too)."""
    return resource_path("profiles")


_PROFILE_KEYS = {
    "name",
    "company",
    "kind",
    "description",
    "columns",
    "values",
    "amount_unit",
    "combine_date_time",
}


def _profile_from_json(path: Path) -> Profile:
    where = f"导入方案文件{path.name}"
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{where}无法读取:{exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{where}格式不对:应为一个JSON对象")
    extra = [k for k in data if k not in _PROFILE_KEYS and not str(k).startswith("_")]
    if extra:
        raise UserError(f"{where}有无法识别的设置:{'、'.join(map(str, extra))}")

    def text(key: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"{where}缺少“{key}”或它不是文字")
        return value.strip()

    kind_value = data.get("kind")
    kinds = (kind_value,) if isinstance(kind_value, str) else tuple(kind_value or ())
    if not kinds or any(k not in KINDS for k in kinds):
        raise UserError(f"{where}的“kind”应为 {'/'.join(KINDS)} 之一")
    known = {s.key for k in kinds for s in KIND_COLUMNS[k]}

    columns: dict[str, tuple[str, ...]] = {}
    for key, names in (data.get("columns") or {}).items():
        if key not in known:
            raise UserError(f"{where}的“columns”里有未知的列“{key}”")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise UserError(f"{where}的“columns.{key}”应为表头名称的列表")
        columns[key] = tuple(names)

    values: dict[str, dict[str, str]] = {}
    for key, mapping in (data.get("values") or {}).items():
        if key not in known:
            raise UserError(f"{where}的“values”里有未知的列“{key}”")
        if not isinstance(mapping, dict) or not all(
            isinstance(a, str) and isinstance(b, str) for a, b in mapping.items()
        ):
            raise UserError(f"{where}的“values.{key}”应为“原值: 标准值”的对照表")
        values[key] = dict(mapping)

    unit = data.get("amount_unit", "yuan")
    if unit not in ("yuan", "fen"):
        raise UserError(f"{where}的“amount_unit”应为 yuan 或 fen")

    combine = data.get("combine_date_time")
    pair: tuple[str, str] | None = None
    if combine is not None:
        if (
            not isinstance(combine, dict)
            or not isinstance(combine.get("date"), str)
            or not isinstance(combine.get("time"), str)
        ):
            raise UserError(f'{where}的“combine_date_time”应为 {{"date": 表头, "time": 表头}}')
        if not all("time" in _SPEC[k] for k in kinds):
            raise UserError(f"{where}:只有交易文件可以合并日期和时间列")
        pair = (combine["date"], combine["time"])

    return Profile(
        name=text("name", path.stem),
        company=text("company"),
        kinds=kinds,
        description=str(data.get("description", "")).strip(),
        columns=columns,
        values=values,
        amount_unit=unit,
        combine_date_time=pair,
        path=path,
    )


def load_profile(name: str) -> Profile:
    """The profile called ``name`` (the office's ``导入方案/<name>.json`` first, then the
    shipped one) or the profile file at path ``name``; UserError if there is none."""
    from app.io.profile_store import find_path, office_profile_paths

    folder = profiles_dir()
    wanted = name.strip().lower()
    found = find_path(name, folder)
    if found is not None:
        return _profile_from_json(found)
    for path in [*office_profile_paths(), *sorted(folder.glob("*.json"))]:
        if path.stem.lower() == wanted:
            return _profile_from_json(path)
    # also accept the "name" written inside a file whose file name differs
    for path in [*office_profile_paths(), *sorted(folder.glob("*.json"))]:
        with contextlib.suppress(UserError):
            profile = _profile_from_json(path)
            if profile.name.lower() == wanted:
                return profile
    names = "、".join(p["name"] for p in list_profiles()) or "(无)"
    raise UserError(f"没有名为“{name}”的导入方案;可用的方案:{names}")


def list_profiles() -> list[dict[str, Any]]:
    """Name, company, description, kind and origin (``office``: saved by the office, or
    ``shipped``) of each readable profile: the office's first, each part sorted by name."""
    from app.io.profile_store import office_profile_paths

    out = []
    office = office_profile_paths()
    for path in [*office, *sorted(profiles_dir().glob("*.json"))]:
        try:
            p = _profile_from_json(path)
        except UserError:
            continue  # a broken user-written file must not hide the others
        out.append(
            {
                "name": p.name,
                "company": p.company,
                "description": p.description,
                "kind": p.kinds[0] if len(p.kinds) == 1 else list(p.kinds),
                "origin": "office" if path in office else "shipped",
            }
        )
    return out


# ---------------------------------------------------------------------------- cells


# Excel keeps 15 significant digits: a number cell above that shows (and holds) a rounded
# figure, so it is given as Excel displays it ("1.23456789012346E+19") and the value rules
# refuse it where a code or SN is expected ("请把该列设为文本格式后重新导出").
_EXCEL_DIGITS = 10**15


def _excel_scientific(x: float | int) -> str:
    mantissa, _, exp = format(x, ".14E").partition("E")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exp[0]}{exp[1:].lstrip('0') or '0'}"


def _float_text(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return repr(x)
    if abs(x) >= _EXCEL_DIGITS:
        return _excel_scientific(x)
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    # repr() is the shortest text that reads back as the same float: what Excel shows
    # for the value, without inventing or hiding digits.
    s = format(Decimal(repr(x)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _round_second(value: dt.datetime) -> dt.datetime:
    if value.microsecond >= 500_000:
        value += dt.timedelta(seconds=1)
    return value.replace(microsecond=0, tzinfo=None)


def _cell_text(v: object) -> str:
    """One spreadsheet cell as the text the user sees (before normalisation)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v) if abs(v) < _EXCEL_DIGITS else _excel_scientific(v)
    if isinstance(v, float):
        return _float_text(v)
    if isinstance(v, dt.datetime):
        v = _round_second(v)
        if v.hour == v.minute == v.second == 0:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, dt.time):
        return _round_second(dt.datetime.combine(dt.date(2000, 1, 1), v)).strftime("%H:%M:%S")
    if isinstance(v, dt.timedelta):
        secs = round(v.total_seconds())
        sign, secs = ("-", -secs) if secs < 0 else ("", secs)
        return f"{sign}{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _is_blank(rec: Sequence[str]) -> bool:
    return not "".join(rec).strip()


# ---------------------------------------------------------------------------- sources

Records = Iterator[list[str]]


class _Source:
    """A file format: opens the file and yields every row as a list of cell texts."""

    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name

    def sheets(self) -> list[str | None]:
        return [None]

    def records(self, sheet: str | None) -> contextlib.AbstractContextManager[Records]:
        raise NotImplementedError


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SAMPLE_BYTES = 1 << 20
_BINARY_MAGIC = (
    (b"%PDF", "PDF文件"),
    (b"\x89PNG", "图片"),
    (b"\xff\xd8\xff", "图片"),
    (b"GIF8", "图片"),
    (b"Rar!", "压缩包"),
    (b"7z\xbc\xaf", "压缩包"),
    (b"\x1f\x8b", "压缩包"),
)
_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "gb18030": "GBK/GB18030",
    "big5": "BIG5",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
}


class _CsvSource(_Source):
    def __init__(self, path: Path, name: str, sample: bytes):
        super().__init__(path, name)
        self.encoding = self._detect_encoding(sample)
        text = codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(sample)
        self.delimiter = _sniff_delimiter(text)

    def _detect_encoding(self, sample: bytes) -> str:
        if sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            raise UserError(self._other_encoding("UTF-32"))
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Unicode 文本": tab separated
        for magic, what in ((_ZIP, "Excel文件(.xlsx)"), (_OLE2, "Excel文件(.xls)")):
            if sample.startswith(magic):
                raise UserError(
                    f"{self.name}:这是{what},扩展名却是{self.path.suffix};请改回正确的扩展名再导入"
                )
        for magic, what in _BINARY_MAGIC:
            if sample.startswith(magic):
                raise UserError(f"{self.name}:这是{what},不是表格文件(CSV/Excel)")
        if b"\x00" in sample:
            if _utf16_without_bom(sample):
                raise UserError(self._other_encoding("UTF-16(无BOM)"))
            raise UserError(
                f"{self.name}:不是文本格式的CSV文件(含有二进制内容);请导入CSV或Excel文件"
            )
        final = len(sample) < _SAMPLE_BYTES
        with contextlib.suppress(UnicodeDecodeError):
            # incremental: a multibyte character cut at the end of the sample is fine
            codecs.getincrementaldecoder("utf-8")().decode(sample, final)
            return "utf-8"
        # A Simplified-Chinese office's non-UTF-8 file is GBK/GB18030; a statistical guess
        # on a short file (a 3-line product list) can land on Big5 and garble every
        # header, so GB18030 wins whenever it decodes the sample cleanly.
        with contextlib.suppress(UnicodeDecodeError):
            codecs.getincrementaldecoder("gb18030")().decode(sample, final)
            return "gb18030"
        raise UserError(self._other_encoding(""))

    def _other_encoding(self, what: str) -> str:
        """FORMATS: UTF-8 (with or without BOM), GBK/GB18030 and UTF-16 with a BOM only."""
        found = f"是{what}编码," if what else "的编码无法识别(不是UTF-8或GBK),"
        return (
            f"{self.name}:文件{found}不能导入;请在Excel中打开后另存为“CSV UTF-8(逗号分隔)”再导入"
        )

    @contextlib.contextmanager
    def records(self, sheet: str | None) -> Iterator[Records]:
        with open(self.path, encoding=self.encoding, newline="") as f:
            yield csv.reader(f, delimiter=self.delimiter)

    def bad_row(self, after_row: int) -> UserError:
        """The decoding error as the user should see it, with the row it happened in."""
        row = after_row + 1
        # The text layer decodes ahead in chunks; find the exact row with a tolerant pass.
        with contextlib.suppress(Exception):
            with open(self.path, encoding=self.encoding, errors="surrogateescape", newline="") as f:
                for n, rec in enumerate(csv.reader(f, delimiter=self.delimiter), 1):
                    if any(_SURROGATE.search(v) for v in rec):
                        row = n
                        break
        label = _ENCODING_LABELS.get(self.encoding, self.encoding)
        return UserError(
            f"{self.name} 第{row}行:无法按{label}编码读取,文件可能混用了多种编码;"
            "请在Excel中打开后另存为“CSV UTF-8”再导入"
        )


_SURROGATE = re.compile("[\udc80-\udcff]")


def _utf16_without_bom(sample: bytes) -> str | None:
    head = sample[:4096]
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2 or 1
    if odd * 10 >= half and even == 0:
        return "utf-16-le"
    if even * 10 >= half and odd == 0:
        return "utf-16-be"
    return None


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()][:20]
    best, best_score = ",", (0, 0)
    for delim in (",", "\t", ";"):
        counts: dict[int, int] = {}
        for ln in lines:
            n = ln.count(delim)
            if n:
                counts[n] = counts.get(n, 0) + 1
        if counts:
            n, lines_with_n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
            score = (lines_with_n, n)
            if score > best_score:
                best, best_score = delim, score
    return best


class _XlsxSource(_Source):
    """Office Open XML through openpyxl in read-only (streaming) mode."""

    def __init__(self, path: Path, name: str, by_content: bool = False):
        super().__init__(path, name)
        # openpyxl refuses a path whose extension is not .xlsx; an open file it takes
        self.by_content = by_content

    @contextlib.contextmanager
    def _workbook(self) -> Iterator[Any]:
        from openpyxl import load_workbook

        with contextlib.ExitStack() as stack:
            target: Any = self.path
            if self.by_content:
                target = stack.enter_context(open(self.path, "rb"))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    wb = load_workbook(target, read_only=True, data_only=True)
            except Exception:
                raise UserError(f"{self.name}:文件已损坏或不是有效的Excel文件,无法打开") from None
            try:
                yield wb
            finally:
                wb.close()

    def sheets(self) -> list[str | None]:
        with self._workbook() as wb:
            return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]

    @contextlib.contextmanager
    def records(self, sheet: str | None) -> Iterator[Records]:
        with self._workbook() as wb:
            ws = wb[sheet] if sheet is not None else wb.worksheets[0]
            ws.reset_dimensions()  # some writers store wrong dimensions; read every cell
            rows = _cell_rows(self.name, ws.iter_rows(values_only=True))
            gaps = _formula_gaps(wb, ws)
            yield _mark_gaps(rows, gaps) if gaps else rows


FORMULA_WITHOUT_VALUE = "\ufdd0公式无值"  # a noncharacter: no file holds it as text


def _formula_gaps(wb: Any, ws: Any) -> dict[int, list[int]]:
    """Row → 0-based columns of the formula cells that carry no cached value (a file
    written by a program that does not calculate): openpyxl reads those as blank."""
    from xml.etree.ElementTree import iterparse

    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if path is None or archive is None:
        return {}
    with archive.open(path) as f:  # most sheets have no formula at all: look first
        tail = b""
        while chunk := f.read(1 << 20):
            if b"<f" in tail + chunk or b":f" in tail + chunk:
                break
            tail = chunk[-8:]
        else:
            return {}
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    gaps: dict[int, list[int]] = {}
    with archive.open(path) as f:
        for _ev, el in iterparse(f):
            if el.tag != f"{ns}c":
                continue
            v = el.find(f"{ns}v")
            # no <v>, or an empty one on a cell that is not text: no cached value
            if el.find(f"{ns}f") is not None and (v is None or (not v.text and el.get("t") != "str")):
                ref = el.get("r", "")
                letters = ref.rstrip("0123456789")
                if letters and ref[len(letters):].isdigit():
                    col = 0
                    for ch in letters.upper():
                        col = col * 26 + ord(ch) - 64
                    gaps.setdefault(int(ref[len(letters):]), []).append(col - 1)
            el.clear()
    return gaps


def _mark_gaps(rows: Records, gaps: dict[int, list[int]]) -> Records:
    for n, rec in enumerate(rows, 1):
        for col in gaps.get(n, ()):
            if col >= len(rec):
                rec.extend([""] * (col + 1 - len(rec)))
            if not rec[col]:
                rec[col] = FORMULA_WITHOUT_VALUE
        yield rec


def _cell_rows(name: str, it: Iterable[Sequence[object]]) -> Records:
    """Spreadsheet rows as lists of cell texts; a reading failure names the row."""
    n = 0
    try:
        for row in it:
            n += 1
            yield [v if type(v) is str else _cell_text(v) for v in row]
    except Exception:
        raise UserError(f"{name} 第{n + 1}行:文件已损坏,无法读取") from None


class _CalamineSource(_Source):
    """Legacy .xls (and .ods) through python-calamine."""

    def __init__(self, path: Path, name: str, by_content: bool = False):
        super().__init__(path, name)
        # calamine picks the format from the extension; a renamed file is read by content
        self.by_content = by_content

    def _open(self) -> Any:
        from python_calamine import CalamineWorkbook

        try:
            if self.by_content:
                with open(self.path, "rb") as f:
                    return CalamineWorkbook.from_filelike(f)
            return CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:
            if "password" in str(exc).lower() or type(exc).__name__ == "PasswordError":
                raise UserError(_password_message(self.name)) from None
            raise UserError(f"{self.name}:文件已损坏或不是有效的Excel文件,无法打开") from None

    def sheets(self) -> list[str | None]:
        from python_calamine import SheetTypeEnum, SheetVisibleEnum

        wb = self._open()
        try:
            return [
                m.name
                for m in wb.sheets_metadata
                if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
            ]
        finally:
            wb.close()

    @contextlib.contextmanager
    def records(self, sheet: str | None) -> Iterator[Records]:
        wb = self._open()
        try:
            try:
                ws = wb.get_sheet_by_name(sheet) if sheet is not None else wb.get_sheet_by_index(0)
                it = ws.iter_rows()
            except Exception:
                raise UserError(f"{self.name}:文件已损坏,无法读取工作表「{sheet}」") from None
            yield _cell_rows(self.name, it)
        finally:
            wb.close()


def _password_message(name: str) -> str:
    return f"{name}:文件有密码保护,请先在Excel中取消密码"


def _ole2_has_stream(path: Path, stream: str) -> bool:
    """Whether an OLE2 compound file names a stream (directory entries are UTF-16LE)."""
    needle = stream.encode("utf-16-le")
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


_EXCEL_XML = (".xlsx", ".xlsm")
_CALAMINE = (".xls", ".ods")
_TEXT = (".csv", ".txt", ".tsv")


def _source_for(path: Path, name: str) -> _Source:
    ext = path.suffix.lower()
    if ext not in _EXCEL_XML + _CALAMINE + _TEXT:
        raise UserError(
            f"{name}:不支持的文件类型“{path.suffix or '无扩展名'}”;请导入 .csv、.xlsx 或 .xls 文件"
        )
    with open(path, "rb") as f:
        sample = f.read(_SAMPLE_BYTES)
    if not sample:
        raise UserError(f"{name}:文件没有数据行(空文件)")
    # Trust the content over the extension: payment back offices often save a workbook
    # or a tab-separated text under the wrong one.
    if ext in _TEXT:
        return _CsvSource(path, name, sample)
    if sample.startswith(_ZIP):
        if ext == ".ods":
            return _CalamineSource(path, name)
        return _XlsxSource(path, name, by_content=ext not in _EXCEL_XML)
    if sample.startswith(_OLE2):
        if ext in _EXCEL_XML:
            # An encrypted .xlsx is an OLE2 container holding EncryptedPackage; an old .xls
            # renamed to .xlsx holds a Workbook stream.
            if not _ole2_has_stream(path, "EncryptedPackage") and _ole2_has_stream(
                path, "Workbook"
            ):
                return _CalamineSource(path, name, by_content=True)
            raise UserError(_password_message(name))
        return _CalamineSource(path, name, by_content=ext != ".xls")
    head = sample[:2048].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")) or b"<table" in head:
        raise UserError(f"{name}:这是网页格式的表格,请在Excel中打开后另存为.xlsx再导入")
    if ext == ".xls" and b"\x00" not in sample:
        return _CsvSource(path, name, sample)  # a text export named .xls
    raise UserError(f"{name}:文件已损坏或不是有效的Excel文件,无法打开")


# ---------------------------------------------------------------------------- header


@dataclass
class _Header:
    row: int
    cells: list[str]
    index: dict[str, int]  # canonical key -> column index
    present: dict[str, str]
    unknown: list[str]
    duplicates: list[tuple[str, list[str]]]
    time_index: int | None = None  # the separate time column of combine_date_time

    def missing(self, kind: str) -> list[ColumnSpec]:
        return [s for s in KIND_COLUMNS[kind] if s.required and s.key not in self.index]


_DATE_HEADERS = {header_key(x) for x in ("交易日期", "日期", "date")}
_TIME_HEADERS = {header_key(x) for x in ("交易时间", "时间", "time")}


class _Matcher:
    """Maps header cells to canonical keys for one kind (and profile)."""

    def __init__(self, kind: str, profile: Profile | None = None):
        self.kind = kind
        self.names = dict(_STANDARD[kind])
        self.combine: tuple[str, str] | None = None
        self.combine_shown: tuple[str, str] | None = None
        if profile is not None:
            for key, names in profile.columns.items():
                if key in _SPEC[kind]:
                    for n in names:
                        self.names[header_key(n)] = key  # the profile wins a clash
            if profile.combine_date_time:
                self.combine_shown = profile.combine_date_time
                d, t = (header_key(x) for x in profile.combine_date_time)
                self.combine = (d, t)
                self.names.pop(d, None)
                self.names.pop(t, None)

    def match(self, row: int, cells: list[str]) -> _Header:
        index: dict[str, int] = {}
        present: dict[str, str] = {}
        seen: dict[str, list[str]] = {}
        unknown: list[str] = []
        time_index = None
        date_cell = time_cell = ""
        for i, raw in enumerate(cells):
            shown = raw.strip()
            if not shown:
                continue
            hk = header_key(shown)
            key = self.names.get(hk)
            if self.combine and hk == self.combine[0]:
                key, date_cell = "time", shown
            elif self.combine and hk == self.combine[1]:
                if time_index is None:
                    time_index, time_cell = i, shown
                continue
            if key is None:
                unknown.append(shown)
                continue
            seen.setdefault(key, []).append(shown)
            if key not in index:
                index[key] = i
                present[key] = shown
        if date_cell and time_cell:
            present["time"] = f"{date_cell}+{time_cell}"
        elif len(seen.get("time", ())) == 2 and time_index is None:
            # an export with the date and the time in two columns (交易日期 + 交易时间)
            first, second = (header_key(x) for x in seen["time"])
            if first in _DATE_HEADERS and second in _TIME_HEADERS:
                d_shown, t_shown = seen["time"]
            elif second in _DATE_HEADERS and first in _TIME_HEADERS:
                t_shown, d_shown = seen["time"]
            else:
                d_shown = t_shown = ""
            if d_shown:
                index["time"] = next(i for i, c in enumerate(cells) if c.strip() == d_shown)
                time_index = next(i for i, c in enumerate(cells) if c.strip() == t_shown)
                present["time"] = f"{d_shown}+{t_shown}"
                seen["time"] = [present["time"]]
        dups = [(k, v) for k, v in seen.items() if len(v) > 1]
        return _Header(row, cells, index, present, unknown, dups, time_index)


def _column_label(spec: ColumnSpec) -> str:
    return f"「{spec.names[0]}」({spec.key})"


def _header_error(
    name: str, kind: str, rows: list[tuple[int, list[str]]], matcher: _Matcher
) -> UserError:
    """Why no row could serve as the header, naming the missing columns (and the likely kind)."""
    headers = [matcher.match(r, cells) for r, cells in rows]
    # the row that looks most like this kind's header (title rows above it are skipped)
    best = max(headers, key=lambda h: (len(h.index), -h.row))
    if not best.index:
        for h in headers:
            if any(_Matcher(k).match(h.row, h.cells).index for k in KINDS):
                best = h
                break
    missing = best.missing(kind)
    labels = "、".join(
        f"「{matcher.combine_shown[0]}」+「{matcher.combine_shown[1]}」({s.key})"
        if matcher.combine_shown and s.key == "time"
        else _column_label(s)
        for s in missing
    )
    shown = [c.strip() for c in best.cells if c.strip()]
    listing = "、".join(shown[:15]) + ("……" if len(shown) > 15 else "")
    message = f"{name}:缺少必需的列 {labels};第{best.row}行的表头为:{listing}"
    hint = _guess_kind(kind, headers)
    if hint:
        message += f"。这似乎是「{KIND_LABELS[hint]}」文件,请检查导入类型"
    return UserError(message)


def _guess_kind(kind: str, headers: list[_Header]) -> str | None:
    best: tuple[int, str] | None = None
    for h in headers:
        for other in KINDS:
            if other == kind:
                continue
            m = _Matcher(other).match(h.row, h.cells)
            if not m.missing(other):
                score = len(m.index)
                if best is None or score > best[0]:
                    best = (score, other)
    return best[1] if best else None


# ---------------------------------------------------------------------------- table


def _fen_to_yuan(v: str) -> str:
    m = _FEN.fullmatch(v.replace(",", ""))
    if m is None:
        # Not whole fen: make the amount parser refuse it rather than read it as yuan.
        return f"{v}分" if v else v
    n = int(m.group(2))
    return f"{m.group(1)}{n // 100}.{n % 100:02d}" if n else "0.00"


_FEN = re.compile(r"([+-]?)(\d+)(?:\.0*)?")
_DIGITS_TIME = re.compile(r"\d{5,6}")


def _join_date_time(d: str, t: str) -> str:
    if not t:
        return d
    if not d:
        return t
    if " " in d:  # a datetime cell in the date column: keep its date
        d = d.split(" ", 1)[0]
    if " " in t:  # a datetime cell in the time column: keep its time
        t = t.rsplit(" ", 1)[1]
    elif _DIGITS_TIME.fullmatch(t):  # 140322, or 93022 once Excel dropped the zero
        t = t.zfill(6)
        t = f"{t[:2]}:{t[2:4]}:{t[4:]}"
    return f"{d} {t}"


class Table:
    """An opened import file: which columns it has, and its rows on demand."""

    def __init__(
        self,
        path: Path,
        kind: str,
        source: _Source,
        sheet: str | None,
        header: _Header,
        profile: Profile | None,
    ):
        self.path = path
        self.file_name = path.name
        self.kind = kind
        self.sheet = sheet
        self.header_row = header.row
        self.present: dict[str, str] = header.present
        self.unknown_columns: list[str] = header.unknown
        self.profile = profile
        self.encoding: str | None = getattr(source, "encoding", None)
        self._source = source
        self._index = header.index
        self._time_index = header.time_index
        self._header_cells = header.cells
        self.has_data = True  # False: a header and no data rows (imports nothing, exit 0)
        # filled by each full pass of rows(): cells refused by the reader itself (a summary
        # row amid the data, a formula without a value) and what it left out (a summary block)
        self.problems: list[RowError] = []
        self.notices: list[str] = []
        self.data_rows = 0

    def __repr__(self) -> str:
        return f"<Table {self.file_name} {self.kind} {sorted(self.present)}>"

    def rows(self, keys: list[str], _plain: bool = False) -> Iterator[tuple[int, list[str]]]:
        """Yield (row number as the spreadsheet shows it, values in the order of ``keys``).

        Values are normalised text ('' when blank or the column is absent); fully blank
        rows are skipped; profile value maps, fen amounts and date+time joins applied; a
        leading ` or ' (Excel's keep-as-text mark) dropped.  Summary rows are not yielded
        (``app.io.trailer``): amid the data they land in ``problems``; after the last
        data row they are checked and reported in ``notices``.
        """
        specs = _SPEC[self.kind]
        for k in keys:
            if k not in specs:
                raise ValueError(f"{self.kind} has no column {k!r}")
        if not keys:
            raise ValueError("rows() needs at least one key")
        # Absent columns read index -1 of the row after an '' has been appended to it.
        idx = [self._index.get(k, -1) for k in keys]
        post = self._post_steps(keys)
        if self._time_index is not None and "time" in keys and "time" in self._index:
            idx.append(self._time_index)  # read as an extra value, folded into "time"
            post.insert(0, partial(_combine_step, keys.index("time")))
        pad = -1 in idx
        width = max(idx) + 1
        getter: Callable[[list[str]], Sequence[str]]
        if len(idx) > 1:
            getter = operator.itemgetter(*idx)
        else:
            only = idx[0]
            getter = lambda rec: (rec[only],)  # noqa: E731
        nsep = len(idx) - 1
        strip = str.strip
        nfkc = partial(unicodedata.normalize, "NFKC")
        is_csv = isinstance(self._source, _CsvSource)
        if not _plain:
            self.problems, self.notices, self.data_rows = [], [], 0
        # a plain pass (the totals a summary block is checked against) skips the same rows
        watch = SummaryWatch(
            self.file_name, self.kind, self._header_cells, self._index.get("amount"),
            [] if _plain else self.problems, [] if _plain else self.notices,
        )
        data_rows = 0
        join = "\0".join

        row = self.header_row
        with self._source.records(self.sheet) as records:
            try:
                for _ in range(self.header_row):
                    next(records)
                for row, rec in enumerate(records, self.header_row + 1):
                    if pad:
                        rec.append("")
                    try:
                        vals = getter(rec)
                    except IndexError:  # a short (ragged) row
                        rec.extend([""] * (width + 1 - len(rec)))
                        vals = getter(rec)
                    out = list(map(strip, vals))
                    # Row-level fast path: NFKC(a + NUL + b) == NFKC(a) + NUL + NFKC(b), and
                    # text NFKC leaves alone needs nothing more than the strip done above.
                    j = "\0".join(out)
                    if len(j) == nsep:
                        if _is_blank(rec):
                            continue
                    elif not j.isascii() and nfkc(j) != j:
                        out = list(map(normalize_text, out))
                    if (watch.held or might_be_summary(join(rec))) and watch.take(row, rec):
                        continue
                    if watch.held:
                        watch.data_row()
                    if "'" in j or "`" in j:
                        out = [_unquote(v) for v in out]
                    if not is_csv and FORMULA_WITHOUT_VALUE in j:
                        self._formula_gaps(row, keys, out)
                    if post:
                        for fn in post:
                            fn(out)
                    data_rows += 1
                    yield row, out
                if not _plain:
                    self.data_rows = data_rows
                    if watch.held:
                        watch.finish(data_rows, partial(self._totals, data_rows))
            except UnicodeDecodeError:
                if is_csv:
                    assert isinstance(self._source, _CsvSource)
                    raise self._source.bad_row(row) from None
                raise
            except csv.Error as exc:
                raise UserError(f"{self.file_name} 第{row + 1}行:无法读取({exc})") from None
            except StopIteration:  # pragma: no cover - the file shrank since open_table
                raise UserError(f"{self.file_name}:文件在导入过程中被修改,请重试") from None

    def _formula_gaps(self, row: int, keys: list[str], out: list[str]) -> None:
        for pos, v in enumerate(out[: len(keys)]):
            if v == FORMULA_WITHOUT_VALUE:
                out[pos] = ""
                self.problems.append(RowError(
                    self.file_name, row, self.present.get(keys[pos], keys[pos]),
                    "公式单元格没有计算结果;请在Excel中打开、重新计算并保存后再导入",
                ))

    def _totals(self, data_rows: int) -> tuple[int, int, int]:
        """What a summary block is checked against: the amount column summed (every row,
        the successful ones) and the number of successful rows."""
        if "amount" not in self._index:
            return 0, 0, data_rows
        keys = ["amount", "status"] if "status" in _SPEC[self.kind] else ["amount"]
        return sum_amounts(self.rows(keys, _plain=True))

    def _post_steps(self, keys: list[str]) -> list[Callable[[list[str]], None]]:
        steps: list[Callable[[list[str]], None]] = []
        p = self.profile
        if p is None:
            return steps
        for pos, key in enumerate(keys):
            lookup = p.value_lookup(key)
            if lookup and key in self._index:
                steps.append(partial(_map_value, pos, lookup))
            if p.amount_unit == "fen" and key in _FEN_KEYS and key in self._index:
                steps.append(partial(_fen_step, pos))
        return steps


def _unquote(v: str) -> str:
    """Drop the ` or ' an export puts before a number to keep Excel from reformatting it."""
    return v[1:].strip() if v[:1] in "'`" else v


def _map_value(pos: int, lookup: dict[str, str], out: list[str]) -> None:
    v = out[pos]
    r = lookup.get(v)
    if r is None and v:
        r = lookup.get(v.lower())
    if r is not None:
        out[pos] = r


def _combine_step(pos: int, out: list[str]) -> None:
    out[pos] = _join_date_time(out[pos], out.pop())


def _fen_step(pos: int, out: list[str]) -> None:
    out[pos] = _fen_to_yuan(out[pos])


# ---------------------------------------------------------------------------- open


def open_table(path: str | Path, kind: str, profile: str | None = None) -> Table:
    """Open an import file of ``kind``; UserError (Chinese, naming the file) if unusable."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    p = Path(path)
    name = p.name
    prof = load_profile(profile) if profile else None
    if prof is not None and kind not in prof.kinds:
        labels = "/".join(KIND_LABELS[k] for k in prof.kinds)
        raise UserError(
            f"导入方案“{prof.name}”用于「{labels}」文件,不能用于「{KIND_LABELS[kind]}」文件"
        )
    if not p.is_file():
        raise UserError(f"{name}:文件不存在({p})")
    try:
        source = _source_for(p, name)
    except OSError as exc:
        raise UserError(f"{name}:无法打开文件({exc.strerror or exc})") from None
    matcher = _Matcher(kind, prof)

    sheets = source.sheets()
    if not sheets:
        raise UserError(f"{name}:没有可见的工作表,文件没有数据行")
    failures: list[UserError] = []
    for sheet in sheets:
        where = name if sheet is None or len(sheets) == 1 else f"{name}(工作表「{sheet}」)"
        try:
            header, has_data = _scan(source, sheet, kind, matcher, where)
        except UserError as exc:
            failures.append(exc)
            continue
        if header.duplicates:
            key, shown = header.duplicates[0]
            spec = _SPEC[kind][key]
            raise UserError(
                f"{where}:「{'」「'.join(shown)}」都是{_column_label(spec)}列,请只保留一列"
            )
        table = Table(p, kind, source, sheet, header, prof)
        table.has_data = has_data  # a header alone imports nothing and says so (exit 0)
        return table
    # an empty sheet says less than a sheet whose header is wrong
    failures.sort(key=lambda e: "文件没有数据行" in e.message)
    raise failures[0]


def _scan(
    source: _Source, sheet: str | None, kind: str, matcher: _Matcher, where: str
) -> tuple[_Header, bool]:
    """Find the header row of one sheet, and whether a data row follows it."""
    candidates: list[tuple[int, list[str]]] = []
    row = 0
    try:
        with source.records(sheet) as records:
            for rec in records:
                row += 1
                if _is_blank(rec):
                    continue
                cells = list(rec)
                header = matcher.match(row, cells)
                if not header.missing(kind):
                    for rec2 in records:
                        if not _is_blank(rec2):
                            return header, True
                    return header, False
                candidates.append((row, cells))
                if len(candidates) >= _HEADER_SCAN_ROWS:
                    break
    except UnicodeDecodeError:
        assert isinstance(source, _CsvSource)
        raise source.bad_row(row) from None
    except csv.Error as exc:
        raise UserError(f"{where} 第{row + 1}行:无法读取({exc})") from None
    if not candidates:
        raise UserError(f"{where}:文件没有数据行")
    raise _header_error(where, kind, candidates, matcher)

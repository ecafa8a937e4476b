"""Profit-share slips (分润单) as PDF, the month's summary and the bank payout list.

* ``slip_data(month, code)`` gathers what one slip shows (a ``SlipData``) from the
  statement tables and the team figures; ``render_slip(data, path, locked=…)`` draws it.
* ``render_batch(month, out_dir)`` writes one PDF per agent, all slips in tree order in one
  file and a summary, on all cores, with progress and cancel.  Files are written into a
  hidden temporary folder inside ``out_dir`` and moved into place only when everything is
  done, so a cancel or a failure leaves nothing half-written behind.
* Each slip is laid out once.  The canvas (``_SlipCanvas``) keeps a page's text as marks
  until the page is shown, because a subset font's character codes belong to one file;
  the workers hand back each page as drawn (``_PageBody``) with the agent's file, and
  the calling process puts those pages, with their header and footer, into the combined
  file in tree order while the workers go on.
* Speed without changing a pixel: table strings skip ReportLab's text objects, one-line
  cell text is a string rather than a Paragraph, and what is the same file after file
  (the first font subset, fixed by ``_SEED``; its widths and ToUnicode map; the font's
  tables; formatted numbers; encoded labels) is made once per process.
* ``write_payout_list(month, path)`` writes the xlsx the office feeds to its bank.

A slip of a locked month is byte-identical every time it is printed: ReportLab runs in
invariant mode, the PDF creation date and the print time on the slip are the lock time,
nothing else on the page depends on the clock, and the font's first character codes are
given in a fixed order (``_font_seed``), whatever else the process printed before.  An
open month's slip carries the watermark "未锁定 草稿" and today's print time.

The footer's 校验码 is ``statement_fingerprint``: the first 48 bits of a SHA-256 over the
statement's numbers (every line item of every product, gross, tax, payable, hold and payout
flags), so a paper copy can be matched against the database: recompute it and compare.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import multiprocessing
import os
import queue as queue_module
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors, rl_accel
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFObject, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.core.analytics import TeamFigures, team_figures
from app.core.errors import UserError
from app.core.freeze import SETTING_KEYS, frozen
from app.core.money import Fen, apply_rate, format_money, format_month, format_rate, money_in_words
from app.core.settlement import LINE_FIELDS
from app.io.slip_temp import make_batch_dir, remove_batch_dir, sweep_folder
from app.models import (
    Adjustment,
    AgencyMargin,
    Agent,
    MonthState,
    Product,
    Setting,
    Statement,
    StatementLine,
    database,
)
from app.resources import resource_path  # sys._MEIPASS aware

FONT = "WenQuanYiMicroHei"
FONT_FILE = "wqy-microhei.ttc"
WATERMARK = "未锁定 草稿"
COMBINED_NAME = "全部分润单"
SUMMARY_NAME = "汇总"
SMALL_BATCH = 100  # slips; below this ``render_batch`` stays in one process unless told

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


# ---------------------------------------------------------------------------- font


def register_font() -> str:
    """Register the bundled WenQuanYi Micro Hei (Apache-2.0) once; returns its name."""
    # binary (Flate only) streams: ASCII-85 on top makes files bigger and costs ~15 ms a
    # file in ReportLab's pure-Python encoder, for nothing a PDF reader needs
    rl_config.useA85 = 0
    try:
        pdfmetrics.getFont(FONT)
    except KeyError:
        _remember_numbers()
        font = TTFont(FONT, str(resource_path("fonts", FONT_FILE)), subfontIndex=0)
        _reuse_subsets(font)
        pdfmetrics.registerFont(font)
        # there is no bold face: <b> falls back to the same face instead of failing
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


def _remember_numbers() -> None:
    """Make ReportLab's number formatting remember its answers.

    Every coordinate, colour, line width and glyph width in a PDF goes through
    ``fp_str``; in pure Python (without ReportLab's optional C accelerator ``rl_accel``)
    that is a tenth of a slip's time, and a batch of slips, all laid out alike, asks for
    the same few thousand numbers over and over.  The answers are the same strings."""
    slow = rl_accel.fp_str
    if getattr(slow, "__name__", "") != "_py_fp_str":
        return  # the C accelerator, or done already
    known: dict[tuple[Any, ...], str] = {}

    def fp_str(*numbers: Any) -> str:
        try:
            return known[numbers]
        except KeyError:
            pass
        except TypeError:  # a list: not hashable
            return str(slow(*numbers))
        out = known[numbers] = str(slow(*numbers))
        if len(known) > 200_000:
            known.clear()
        return out

    from reportlab.lib import colors as rl_colors
    from reportlab.pdfbase import pdfdoc, ttfonts
    from reportlab.pdfgen import canvas, pathobject, textobject
    from reportlab.platypus import flowables, tables

    for module in (
        rl_accel,
        pdfdoc,
        ttfonts,
        canvas,
        pathobject,
        textobject,
        flowables,
        tables,
        rl_colors,
    ):
        if getattr(module, "fp_str", None) is slow:
            module.fp_str = fp_str  # type: ignore[attr-defined]


# The characters of a slip's fixed wording (labels, headings, 大写 digits) that nearly
# every slip shows.  ``_SlipCanvas.seed_font`` gives them the first character codes of
# each file, so that the first font subset of one agency's slips is the same file after
# file and is cut from the font and compressed once per process (``_reuse_subsets``),
# not once per slip (~6 ms each).  Only a speed matter: a character missing here just
# goes into a later subset.
_SEED = (
    "¥一下丢为之交产人付代份伍伪佰借元共其具写出分列办单卡印叁发台号各合名含和品商团均"
    "壹大失字定实小属已常年并应开式态截户手打扣扫拾持捌据接放数方日时明易月有期未末本"
    "机构柒校正活润激点状率玖现理由的目直码称税笔第签算级经结编肆至行角计记证说贰贷起"
    "身转返金银锁间队陆随页项额验（），：；"
)
# Rarer wording, after the agency's own name and products: fills the first subset up, so
# that what differs from slip to slip (names, banks) always starts the second one.
_SEED_MORE = (
    "。上不停低于零整款细给调账费补续以处收差到后在无、“”万亿仟全原变可没标能草负达还退部除奖励动"
)
_SUBSET0_SIZE = 159  # non-ASCII codes in ReportLab's first subset of a TrueType font


class _ReusedFlate:
    """ReportLab's Flate filter, remembering the last few results: the same font subset
    bytes come back for file after file."""

    pdfname = "FlateDecode"

    def __init__(self) -> None:
        self.done: dict[bytes, bytes] = {}

    def encode(self, content: bytes | str) -> bytes:
        data = content.encode("utf8") if isinstance(content, str) else content
        out = self.done.get(data)
        if out is None:
            if len(self.done) >= 16:
                self.done.clear()
            out = self.done[data] = zlib.compress(data)
        return out

    def decode(self, encoded: bytes) -> bytes:
        return zlib.decompress(encoded)


class _Formatted(PDFObject):
    """A PDF value formatted already."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


def _reuse_subsets(font: TTFont) -> None:
    """Cut each distinct subset of ``font`` once per process and compress it once; keep
    the font's tables and the subsets' width lists at hand, instead of copying and
    formatting them again for each file."""
    face = font.face
    make_subset = face.makeSubset
    add_subset_objects = face.addSubsetObjects
    get_table = face.get_table
    add_font_objects = font.addObjects
    made: dict[tuple[int, ...], bytes] = {}
    tables: dict[str, bytes] = {}
    widths_done: dict[tuple[Any, ...], Any] = {}
    flate = _ReusedFlate()

    def cached_table(tag: str) -> bytes:
        out = tables.get(tag)
        if out is None:
            out = tables[tag] = get_table(tag)
        return out

    def add_objects_once(doc: Any) -> None:
        add_font_objects(doc)
        for obj in doc.idToObject["BasicFonts"].dict.values():
            widths = getattr(obj, "Widths", None)
            if isinstance(widths, PDFArray):
                key = tuple(widths.sequence)
                literal = widths_done.get(key)
                if literal is None:
                    if len(widths_done) >= 16:
                        widths_done.clear()
                    literal = widths_done[key] = _Formatted(widths.format(doc))
                obj.Widths = literal

    def cached_subset(subset: list[int]) -> bytes:
        key = tuple(subset)
        out = made.get(key)
        if out is None:
            if len(made) >= 16:
                made.clear()
            out = made[key] = make_subset(subset)
        return out

    def add_objects(doc: Any, fontname: str, subset: list[int]) -> Any:
        ref = add_subset_objects(doc, fontname, subset)
        for key in (f"fontFile:{face.filename}({fontname})", f"toUnicodeCMap:{fontname}"):
            stream = doc.idToObject.get(key)
            if stream is not None and stream.filters:
                stream.filters = [flate]
        return ref

    face.makeSubset = cached_subset
    face.addSubsetObjects = add_objects
    face.get_table = cached_table
    font.addObjects = add_objects_once  # type: ignore[method-assign]


# ---------------------------------------------------------------------------- masking


def _digits_and_letters(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "")


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    p = _digits_and_letters(phone)
    if len(p) >= 8:
        return p[:3] + "*" * (len(p) - 7) + p[-4:]
    if len(p) > 4:
        return "*" * (len(p) - 4) + p[-4:]
    return p


def mask_id(id_no: str) -> str:
    """``110101199001011234`` → ``1101**********1234``."""
    p = _digits_and_letters(id_no)
    if len(p) > 8:
        return p[:4] + "*" * (len(p) - 8) + p[-4:]
    if len(p) > 2:
        return "*" * (len(p) - 2) + p[-2:]
    return p


def mask_account(account: str) -> str:
    """Only the last four digits of a bank account: ``**** 4567``."""
    p = _digits_and_letters(account)
    if not p:
        return ""
    return "**** " + p[-4:]


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class CategoryShare:
    """Transaction share of one card category (贷记卡/借记卡/扫码)."""

    label: str
    count: int
    volume: Fen
    amount: Fen


@dataclass(frozen=True)
class AdjustmentRow:
    amount: Fen
    reason: str
    original_month: str = ""
    corrects: str = ""  # 补差: the locked month it corrects (app.core.resettle)


@dataclass
class ProductSection:
    """One product's lines of a statement."""

    code: str
    name: str
    shares: list[CategoryShare]
    cashback: Fen = 0
    qualify_bonus: Fen = 0
    unqualified_penalty: Fen = 0
    deposit_refund: Fen = 0
    deposit_deduction: Fen = 0
    adjustment: Fen = 0
    adjustments: list[AdjustmentRow] = field(default_factory=list)
    carried_in: Fen = 0
    subtotal: Fen = 0
    carried_out: Fen = 0

    @property
    def share_count(self) -> int:
        return sum(s.count for s in self.shares)

    @property
    def share_volume(self) -> Fen:
        return sum(s.volume for s in self.shares)

    @property
    def share_amount(self) -> Fen:
        return sum(s.amount for s in self.shares)


@dataclass(frozen=True)
class PassOn:
    """A direct downline whose money this agent receives and passes on (上级代发)."""

    code: str
    name: str
    own: Fen  # the downline's own payable this month
    below: Fen  # what the downline passes on to its own downlines
    total: Fen


@dataclass(frozen=True)
class TeamRow:
    label: str
    figures: TeamFigures


@dataclass
class SlipData:
    """Everything one 分润单 shows; built by ``slip_data`` and drawn by ``render_slip``."""

    month: str
    agency_name: str
    agent_code: str
    agent_name: str
    phone: str  # masked
    id_no: str  # masked
    bank: str
    bank_account: str  # masked
    payout_label: str  # 直结 / 上级代发(…)
    status_label: str
    tax_rate_ppm: int
    min_payout: Fen
    products: list[ProductSection] = field(default_factory=list)
    gross: Fen = 0
    tax: Fen = 0
    payable: Fen = 0
    paid: bool = False
    on_hold: bool = False
    has_statement: bool = False
    notes: list[str] = field(default_factory=list)
    team: list[TeamRow] = field(default_factory=list)
    pass_on: list[PassOn] = field(default_factory=list)
    locked: bool = False
    locked_at: str = ""
    printed_at: str = ""
    fingerprint: str = ""
    agency_logo: str = ""
    agency_address: str = ""
    agency_phone: str = ""

    @property
    def pass_on_total(self) -> Fen:
        return sum(p.total for p in self.pass_on)


@dataclass
class BatchResult:
    """What ``render_batch`` wrote (final paths), or that it was cancelled."""

    files: list[Path] = field(default_factory=list)
    combined: Path | None = None
    summary: Path | None = None
    cancelled: bool = False

    @property
    def count(self) -> int:
        return len(self.files)


_CATEGORIES = (("credit", "贷记卡"), ("debit", "借记卡"), ("scan", "扫码"))
_STATUS = {"active": "正常", "on_hold": "停发", "closed": "注销"}


def _text_time(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return str(value)[:19]


def statement_fingerprint(
    month: str,
    agent_code: str,
    totals: Sequence[object],
    lines: Iterable[tuple[str, Sequence[int]]],
) -> str:
    """A short check code over a statement's numbers, e.g. ``3F2A-9C1B-77D0``."""
    parts = [month, agent_code, ",".join(str(x) for x in totals)]
    for product_code, numbers in sorted(lines):
        parts.append(product_code + ":" + ",".join(str(int(n)) for n in numbers))
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest().upper()[:12]
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"


@dataclass
class _AgentRow:
    id: int
    code: str
    name: str
    parent_id: int | None
    status: str
    phone: str
    id_no: str
    payout: str
    tax_rate: int
    bank: str
    bank_account: str


@dataclass
class _StatementRow:
    id: int
    agent_id: int
    gross: int
    tax: int
    payable: int
    on_hold: bool
    paid: bool
    paid_by: int | None
    lines: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # product id, numbers


class MonthSnapshot:
    """One month's statements, agents and team figures, read with a few set-based queries;
    every slip of a batch is built from it without further queries."""

    def __init__(
        self,
        month: str,
        team: dict[int, TeamFigures] | None = None,
        printed_at: str | None = None,
    ):
        # one read transaction: a lock or an import committing meanwhile is seen wholly or
        # not at all (DEFERRED: a reader never takes the write lock)
        with database.atomic(lock_type="DEFERRED"):
            self._read(month, team, printed_at)

    def _read(
        self, month: str, team: dict[int, TeamFigures] | None, printed_at: str | None
    ) -> None:
        self.month = month
        self.settings = {
            k: v for k, v in database.execute(Setting.select(Setting.key, Setting.value))
        }
        ms = database.execute(
            MonthState.select(MonthState.state, MonthState.locked_at, MonthState.computed_at).where(
                MonthState.month == month
            )
        ).fetchone()
        self.locked = bool(ms and ms[0] == "locked")
        self.locked_at = _text_time(ms[1]) if ms else ""
        self.computed_at = _text_time(ms[2]) if ms else ""
        self.printed_at = printed_at or _text_time(dt.datetime.now())
        # a locked month's slips show the agents, products, settings and team figures as
        # they were at the lock (app.core.freeze): reprints never change
        fz = frozen(month) if self.locked else None
        self.frozen = fz is not None
        if fz is not None:
            for key in SETTING_KEYS:
                self.settings.pop(key, None)
            self.settings.update(fz.settings)
            agent_rows: Iterable[tuple] = fz.agents
        else:
            agent_rows = database.execute(
                Agent.select(
                    Agent.id,
                    Agent.code,
                    Agent.name,
                    Agent.parent,
                    Agent.status,
                    Agent.phone,
                    Agent.id_no,
                    Agent.payout,
                    Agent.tax_rate,
                    Agent.bank,
                    Agent.bank_account,
                )
            )
        self.agents: dict[int, _AgentRow] = {row[0]: _AgentRow(*row) for row in agent_rows}
        self.by_code = {a.code: a.id for a in self.agents.values()}
        self.products: dict[int, tuple[str, str]] = {
            pid: (code, name)
            for pid, code, name in database.execute(
                Product.select(Product.id, Product.code, Product.name)
            )
        }
        if fz is not None:
            self.products.update((pid, (code, name)) for pid, code, name in fz.products)
        self.statements: dict[int, _StatementRow] = {}
        by_id: dict[int, _StatementRow] = {}
        for sid, agent_id, gross, tax, payable, on_hold, paid, paid_by in database.execute(
            Statement.select(
                Statement.id,
                Statement.agent,
                Statement.gross,
                Statement.tax,
                Statement.payable,
                Statement.on_hold,
                Statement.paid,
                Statement.paid_by,
            ).where(Statement.month == month)
        ):
            st = _StatementRow(
                sid, agent_id, gross, tax, payable, bool(on_hold), bool(paid), paid_by
            )
            self.statements[agent_id] = st
            by_id[sid] = st
        line_fields = [getattr(StatementLine, f) for f in LINE_FIELDS]
        for row in database.execute(
            StatementLine.select(StatementLine.statement, StatementLine.product, *line_fields)
            .join(Statement)
            .where(Statement.month == month)
            .order_by(StatementLine.id)
        ):
            by_id[row[0]].lines.append((row[1], tuple(int(x or 0) for x in row[2:])))
        for st in by_id.values():
            st.lines.sort(key=lambda line: self.products[line[0]][0])
        self.adjustments: dict[tuple[int, int], list[AdjustmentRow]] = {}
        for agent_id, product_id, amount, reason, original, corrects in database.execute(
            Adjustment.select(
                Adjustment.agent,
                Adjustment.product,
                Adjustment.amount,
                Adjustment.reason,
                Adjustment.original_month,
                Adjustment.corrects,
            )
            .where(Adjustment.month == month)
            .order_by(Adjustment.id)
        ):
            self.adjustments.setdefault((agent_id, product_id), []).append(
                AdjustmentRow(amount, reason or "", original or "", corrects or "")
            )
        self.margins: list[tuple[str, str, Fen, Fen]] = sorted(
            (self.products[pid][0], self.products[pid][1], pool, margin)
            for pid, pool, margin in database.execute(
                AgencyMargin.select(
                    AgencyMargin.product, AgencyMargin.pool, AgencyMargin.margin
                ).where(AgencyMargin.month == month)
            )
        )
        if fz is not None and fz.team is not None and team != {}:  # {}: no figures wanted
            self.team = fz.team
        else:
            self.team = team if team is not None else team_figures(month)
        self.children: dict[int | None, list[int]] = {}
        for a in self.agents.values():
            self.children.setdefault(a.parent_id, []).append(a.id)
        for kids in self.children.values():
            kids.sort(key=lambda i: self.agents[i].code)
        self._flow: dict[int, Fen] = {}
        self.passes: dict[int, list[int]] = {}
        for a in self.agents.values():
            payer = self.payer_of(a.id)
            if payer is not None:
                self.passes.setdefault(payer, []).append(a.id)
        for kids in self.passes.values():
            kids.sort(key=lambda i: self.agents[i].code)

    # ---------------------------------------------------------------- money flow

    def min_payout(self) -> Fen:
        try:
            return int(self.settings.get("min_payout", "0") or 0)
        except ValueError:
            return 0

    def payer_of(self, agent_id: int) -> int | None:
        """Who hands this agent its money: ``None`` = the agency (直结), else an agent."""
        st = self.statements.get(agent_id)
        if st is not None:
            return st.paid_by if st.paid_by in self.agents else None
        a = self.agents[agent_id]
        return a.parent_id if a.payout == "via_parent" and a.parent_id in self.agents else None

    def own_paid(self, agent_id: int) -> Fen:
        st = self.statements.get(agent_id)
        return st.payable if st is not None and st.paid else 0

    def flow(self, agent_id: int, _seen: frozenset[int] = frozenset()) -> Fen:
        """Money the payer of ``agent_id`` hands over for it: its own payable plus
        everything it passes on to its own via-parent downlines."""
        if agent_id in self._flow:
            return self._flow[agent_id]
        if agent_id in _seen:
            return 0
        seen = _seen | {agent_id}
        total = self.own_paid(agent_id) + sum(
            self.flow(c, seen) for c in self.passes.get(agent_id, [])
        )
        self._flow[agent_id] = total
        return total

    def passed_on(self, agent_id: int) -> Fen:
        return self.flow(agent_id) - self.own_paid(agent_id)

    # ---------------------------------------------------------------- order

    def tree_order(self, ids: Iterable[int] | None = None) -> list[int]:
        """Agents depth first from the top, children by code; ``ids`` filters the result."""
        wanted = set(self.agents) if ids is None else set(ids)
        out: list[int] = []
        seen: set[int] = set()
        stack = list(reversed(self.children.get(None, [])))
        # agents whose parent is missing from the table still get printed, last
        orphans = [
            a.id
            for a in self.agents.values()
            if a.parent_id is not None and a.parent_id not in self.agents
        ]
        stack = sorted(orphans, key=lambda i: self.agents[i].code, reverse=True) + stack
        while stack:
            a = stack.pop()
            if a in seen:
                continue
            seen.add(a)
            if a in wanted:
                out.append(a)
            stack.extend(reversed(self.children.get(a, [])))
        out.extend(
            sorted(
                (a for a in wanted - seen if a in self.agents), key=lambda i: self.agents[i].code
            )
        )
        return out

    def slip_agents(self) -> list[int]:
        """Agents that get a slip this month: a statement, or money to pass on."""
        ids = set(self.statements) | {a for a in self.passes if self.passed_on(a) != 0}
        return self.tree_order(ids)

    # ---------------------------------------------------------------- slips

    def fingerprint(self, agent_id: int) -> str:
        a = self.agents[agent_id]
        st = self.statements.get(agent_id)
        if st is None:
            return statement_fingerprint(self.month, a.code, (0, 0, 0, 0, 0, ""), [])
        payer = self.agents[st.paid_by].code if st.paid_by in self.agents else ""
        totals = (st.gross, st.tax, st.payable, int(st.on_hold), int(st.paid), payer)
        return statement_fingerprint(
            self.month, a.code, totals, [(self.products[p][0], nums) for p, nums in st.lines]
        )

    def slip(self, agent_id: int) -> SlipData:
        a = self.agents[agent_id]
        st = self.statements.get(agent_id)
        s = self.settings
        payer = self.payer_of(agent_id)
        if payer is None:
            payout_label = "直结（机构直接发放）"
        else:
            p = self.agents[payer]
            payout_label = f"上级代发（由 {p.code} {p.name} 转交）"
        data = SlipData(
            month=self.month,
            agency_name=s.get("agency_name", "") or "",
            agency_logo=s.get("agency_logo", "") or "",
            agency_address=s.get("agency_address", "") or "",
            agency_phone=s.get("agency_phone", "") or "",
            agent_code=a.code,
            agent_name=a.name,
            phone=mask_phone(a.phone),
            id_no=mask_id(a.id_no),
            bank=a.bank,
            bank_account=mask_account(a.bank_account),
            payout_label=payout_label,
            status_label=_STATUS.get(a.status, a.status),
            tax_rate_ppm=a.tax_rate,
            min_payout=self.min_payout(),
            locked=self.locked,
            locked_at=self.locked_at,
            # a locked slip must not depend on the clock: it shows when it was locked
            printed_at=(self.locked_at or self.computed_at) if self.locked else self.printed_at,
            fingerprint=self.fingerprint(agent_id),
        )
        if st is not None:
            data.has_statement = True
            data.gross, data.tax, data.payable = st.gross, st.tax, st.payable
            data.paid, data.on_hold = st.paid, st.on_hold
            for product_id, nums in st.lines:
                v = dict(zip(LINE_FIELDS, nums, strict=True))
                code, name = self.products[product_id]
                shares = [
                    CategoryShare(label, v[f"{key}_count"], v[f"{key}_volume"], v[f"{key}_amount"])
                    for key, label in _CATEGORIES
                ]
                adjustments = list(self.adjustments.get((agent_id, product_id), []))
                listed = sum(x.amount for x in adjustments)
                if listed != v["adjustment"]:
                    adjustments.append(
                        AdjustmentRow(v["adjustment"] - listed, "其他调整（迟到数据差额等）")
                    )
                data.products.append(
                    ProductSection(
                        code=code,
                        name=name,
                        shares=shares,
                        cashback=v["cashback"],
                        qualify_bonus=v["qualify_bonus"],
                        unqualified_penalty=v["unqualified_penalty"],
                        deposit_refund=v["deposit_refund"],
                        deposit_deduction=v["deposit_deduction"],
                        adjustment=v["adjustment"],
                        adjustments=adjustments,
                        carried_in=v["carried_in"],
                        subtotal=v["subtotal"],
                        carried_out=v["carried_out"],
                    )
                )
        data.notes = self._notes(data, a)
        fig = self.team.get(agent_id)
        if fig is not None:
            data.team = [TeamRow("本人团队", fig)] + [
                TeamRow(f"{self.agents[d.agent_id].code} {self.agents[d.agent_id].name}", d)
                for d in fig.downlines
                if d.agent_id in self.agents
            ]
        for child in self.passes.get(agent_id, []):
            total = self.flow(child)
            if total:
                c = self.agents[child]
                own = self.own_paid(child)
                data.pass_on.append(PassOn(c.code, c.name, own, total - own, total))
        return data

    def _notes(self, data: SlipData, a: _AgentRow) -> list[str]:
        notes: list[str] = []
        carried = [(p.name, p.carried_out) for p in data.products if p.carried_out]
        carried_text = "、".join(f"{name} {format_money(v)}" for name, v in carried)
        carried_total = format_money(sum(v for _, v in carried))
        if not data.has_statement:
            notes.append("本月无分润。")
        elif not data.paid:
            if data.on_hold:
                reason = "本代理商处于停发状态，本月不发放"
            elif data.gross <= 0:
                reason = "本月各产品小计均不为正，无可发放金额"
            else:
                would_pay = data.gross - apply_rate(data.gross, data.tax_rate_ppm)
                reason = (
                    f"本月扣税后应发 {format_money(would_pay)}，低于起付金额 "
                    f"{format_money(data.min_payout)}，本月不发放（不扣税）"
                )
            if carried:
                reason += f"；以下金额结转下月：{carried_text}，合计 {carried_total}"
            notes.append(reason + "。")
        else:
            negative = [(p.name, p.carried_out) for p in data.products if p.carried_out < 0]
            if negative:
                notes.append(
                    "以下产品小计为负，不参与本月发放，结转下月只抵扣该产品以后的分润："
                    + "、".join(f"{n} {format_money(v)}" for n, v in negative)
                    + "。"
                )
        payer = self.payer_of(a.id)
        if data.paid and payer is not None:
            p = self.agents[payer]
            notes.append(f"本月实发金额由上级 {p.code} {p.name} 代发，随其分润一并发放。")
        return notes


def _check_month(month: str) -> None:
    if not re.fullmatch(r"\d{4}-\d{2}", month or ""):
        raise UserError(f"月份“{month}”格式不对,应为 2026-10")


def slip_data(month: str, agent_code: str) -> SlipData:
    """The data of one agent's slip for ``month``."""
    _check_month(month)
    snap = MonthSnapshot(month)
    agent_id = snap.by_code.get(agent_code)
    if agent_id is None:
        raise UserError(f"代理编号“{agent_code}”不存在")
    return snap.slip(agent_id)


# ---------------------------------------------------------------------------- drawing

PAGE_W, PAGE_H = A4
MARGIN_X = 15 * mm
TOP = 24 * mm  # header band
BOTTOM = 17 * mm  # footer band
WIDTH = PAGE_W - 2 * MARGIN_X
FOOTER_Y = BOTTOM - 13  # baseline of the footer line
_PAGE_NUMBER_X = PAGE_W - MARGIN_X - 22 * mm  # "第 X 页 / 共 Y 页" starts here

_GRID = colors.HexColor("#9E9E9E")
_HEAD_BG = colors.HexColor("#ECEFF1")
_SUB_BG = colors.HexColor("#F5F5F5")
_GREY = colors.HexColor("#757575")
_NOTE_BG = colors.HexColor("#FFF8E1")
_NOTE_LINE = colors.HexColor("#FFB300")
_ZERO = colors.HexColor("#9E9E9E")


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, made once (read only)."""
    font = register_font()
    base = ParagraphStyle(
        "body", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK", alignment=TA_LEFT
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontSize=10.5,
            leading=14,
            spaceBefore=5,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "title": ParagraphStyle("title", parent=base, fontSize=10.5, leading=13),
        "note": ParagraphStyle("note", parent=base, fontSize=9, leading=13),
    }


def _money(fen: Fen) -> str:
    return format_money(fen)


def _count(n: int) -> str:
    return f"{n:,}"


def _pct(ppm: int) -> str:
    """A ratio in ppm as a percentage with two decimals, half up: 666667 → ``66.67%``."""
    return f"{(Decimal(ppm) / 10000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def _table(
    rows: list[list[Any]],
    widths: Sequence[float],
    *,
    header_rows: int = 1,
    right_cols: Sequence[int] = (),
    extra: Sequence[tuple[Any, ...]] = (),
    font_size: float = 8,
) -> Table:
    t = Table(rows, colWidths=list(widths), repeatRows=header_rows, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, font_size),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), _HEAD_BG))
    for c in right_cols:
        style.append(("ALIGN", (c, header_rows), (c, -1), "RIGHT"))
        if header_rows:
            style.append(("ALIGN", (c, header_rows - 1), (c, header_rows - 1), "RIGHT"))
    style.extend(extra)
    style += _one_line_styles(rows)
    t.setStyle(TableStyle(style))
    return t


class _OneLine(str):
    """Paragraph text that fits its table cell on one line, drawn as the cell's plain
    string instead: in the paragraph's size and leading (``_one_line_styles``) it lands
    on the same baseline, and costs a tenth of a Paragraph.  A batch has tens of
    thousands of these (names, team rows)."""

    style: ParagraphStyle


def _cell_text(text: str, style: ParagraphStyle, width: float) -> Paragraph | _OneLine:
    """``Paragraph(escape(text), style)`` for a table cell ``width`` wide (paddings
    taken off), or the same text as a ``_OneLine`` where that looks the same."""
    if (
        text
        and text == " ".join(text.split())  # a Paragraph folds white space
        and _string_width(text, style.fontName, style.fontSize) < width - style.leftIndent - 1
    ):
        one = _OneLine(text)
        one.style = style
        return one
    return Paragraph(escape(text), style)


def _one_line_styles(rows: Sequence[Sequence[Any]], padding: float = 4) -> list[tuple[Any, ...]]:
    """Table style commands for the ``_OneLine`` cells of ``rows`` (left ``padding``)."""
    out: list[tuple[Any, ...]] = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if type(value) is _OneLine:
                st = value.style
                out.append(("FONT", (c, r), (c, r), st.fontName, st.fontSize, st.leading))
                out.append(("TEXTCOLOR", (c, r), (c, r), st.textColor))
                out.append(("ALIGN", (c, r), (c, r), "LEFT"))
                if st.leftIndent:
                    out.append(("LEFTPADDING", (c, r), (c, r), padding + st.leftIndent))
    return out


# A run of TrueType text as drawn: font name, size, leading, text.
_Run = tuple[str, float, float, str]


class _PageBody(NamedTuple):
    """What the flowables drew on one page, before its text is encoded for a document's
    font subsets: PDF operators with ``\\x00n\\x00`` where text run ``n`` goes."""

    code: list[str]
    runs: list[_Run]


class _RunText(PDFTextObject):
    """A text object that leaves a mark for each run of TrueType text instead of encoding
    it; the canvas encodes the page when the page is shown.  The character codes of a
    subset font belong to one document, so this is what lets a page drawn once go into
    both the agent's own file and the combined file."""

    def _formatText(self, text: Any) -> str:
        if type(text) is str and pdfmetrics.getFont(self._fontname)._dynamicFont:
            canv: _SlipCanvas = self._canvas
            return canv.mark_run((self._fontname, self._fontsize, self._leading, text))
        return str(super()._formatText(text))


@functools.lru_cache(maxsize=4096)
def _string_width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


@functools.lru_cache(maxsize=64)
def _font_size_op(size: float, leading: float) -> str:
    return f"{rl_accel.fp_str(size)} Tf {rl_accel.fp_str(leading)} TL"


# Encoded text runs of the font's first subset, per seed (see ``_SlipCanvas.seed_font``).
_SEEDED_RUNS: dict[str, dict[_Run, str]] = {}
_FIRST_SUBSET = "/F1+0"


class _SlipCanvas(Canvas):
    """The canvas of every slip, combined and summary file.

    * Writes "第 X 页 / 共 Y 页" per slip without holding pages back: Y is a small form
      (PDF XObject) per slip, referenced on each of its pages and filled in at the end.
    * Text is encoded when a page is shown (see ``_RunText``): ``page_body`` hands out a
      page as drawn so far and ``put_page_body`` draws it again on another canvas, which
      costs a fraction of laying the slip out a second time."""

    fixed_date: str = ""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pn_count: dict[object, int] = {}
        self._pn_names: dict[object, str] = {}
        self._runs: list[_Run] = []
        self._run_stack: list[list[_Run]] = []
        self._encoded: dict[_Run, str] = {}
        self._seeded: dict[_Run, str] | None = None
        if self.fixed_date:
            stamp = "D:" + re.sub(r"\D", "", self.fixed_date)[:14].ljust(14, "0")
            self.setDateFormatter(lambda *_: stamp)

    # ------------------------------------------------------------ text runs

    def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> _RunText:
        return _RunText(self, x, y, direction=direction)

    def seed_font(self, text: str) -> None:
        """Give the characters of ``text`` (at least a subset's worth) the font's first
        codes in this document; text made of them alone is then encoded alike in every
        document seeded alike, and is encoded once per process."""
        font = pdfmetrics.getFont(FONT)
        font.splitString(text, self._doc)
        if font.getSubsetInternalName(0, self._doc) == _FIRST_SUBSET:
            if text not in _SEEDED_RUNS and len(_SEEDED_RUNS) >= 8:
                _SEEDED_RUNS.clear()
            self._seeded = _SEEDED_RUNS.setdefault(text, {})

    def _plain(self, mode: Any, char_space: float, direction: Any, word_space: Any) -> bool:
        return (
            mode is None
            and not char_space
            and not direction
            and not word_space
            and self.bottomup
            and pdfmetrics.getFont(self._fontname)._dynamicFont
        )

    def _text_at(self, x: float, y: float, text: str) -> None:
        # what drawString writes through a text object, without making one: table cells
        # draw tens of thousands of strings in a batch
        run = self.mark_run((self._fontname, self._fontsize, self._leading, text))
        self._code.append(f"BT 1 0 0 1 {rl_accel.fp_str(x, y)} Tm {run} T* ET")

    def _plain_text(
        self, x: float, y: float, text: str, share: float, mode: Any, charSpace: float,
        direction: Any, wordSpace: Any, shaping: bool,
    ) -> bool:
        """Draw ``text`` ending ``share`` of its width left of ``x`` (0 left-aligned, 1
        right, 0.5 centred) without a text object, if nothing asks for one."""
        if type(text) is not str or shaping or not self._plain(mode, charSpace, direction, wordSpace):
            return False
        if share:
            x -= share * _string_width(text, self._fontname, self._fontsize)
        self._text_at(x, y, text)
        return True

    def drawString(  # type: ignore[override]
        self,
        x: float,
        y: float,
        text: str,
        mode: Any = None,
        charSpace: float = 0,
        direction: Any = None,
        wordSpace: Any = None,
        shaping: bool = False,
    ) -> None:
        if not self._plain_text(x, y, text, 0.0, mode, charSpace, direction, wordSpace, shaping):
            super().drawString(x, y, text, mode, charSpace, direction, wordSpace, shaping)

    def drawRightString(  # type: ignore[override]
        self,
        x: float,
        y: float,
        text: str,
        mode: Any = None,
        charSpace: float = 0,
        direction: Any = None,
        wordSpace: Any = None,
        shaping: bool = False,
    ) -> None:
        if not self._plain_text(x, y, text, 1.0, mode, charSpace, direction, wordSpace, shaping):
            super().drawRightString(x, y, text, mode, charSpace, direction, wordSpace, shaping)

    def drawCentredString(  # type: ignore[override]
        self,
        x: float,
        y: float,
        text: str,
        mode: Any = None,
        charSpace: float = 0,
        direction: Any = None,
        wordSpace: Any = None,
        shaping: bool = False,
    ) -> None:
        if not self._plain_text(x, y, text, 0.5, mode, charSpace, direction, wordSpace, shaping):
            super().drawCentredString(x, y, text, mode, charSpace, direction, wordSpace, shaping)

    def mark_run(self, run: _Run) -> str:
        self._runs.append(run)
        return f"\x00{len(self._runs) - 1}\x00"

    def _encode_run(self, run: _Run) -> str:
        # the same operators as PDFTextObject._formatText, except that every run selects
        # its font: a run no longer knows which subset the text before it ended in
        out = self._encoded.get(run)
        if out is None:
            seeded = self._seeded
            out = seeded.get(run) if seeded is not None else None
            if out is None:
                name, size, leading, text = run
                font = pdfmetrics.getFont(name)
                doc = self._doc
                tf = _font_size_op(size, leading)
                chunks = font.splitString(text, doc)
                out = " ".join(
                    f"{font.getSubsetInternalName(subset, doc)} {tf} ({self._escape(chunk)}) Tj"
                    for subset, chunk in chunks
                )
                if seeded is not None and name == FONT and all(c[0] == 0 for c in chunks):
                    if len(seeded) >= 100_000:
                        seeded.clear()
                    seeded[run] = out
            self._encoded[run] = out
        return out

    def _encode_code(self) -> None:
        runs = self._runs
        if runs:
            encode = self._encode_run
            code: list[str] = self._code
            for i, c in enumerate(code):
                if "\x00" in c:
                    parts = c.split("\x00")  # text, run number, text, run number, ...
                    parts[1::2] = [encode(runs[int(n)]) for n in parts[1::2]]
                    code[i] = "".join(parts)
            self._runs = []

    def page_body(self) -> _PageBody:
        """The page as drawn so far, to be drawn again with ``put_page_body``."""
        if self._formsinuse or self._run_stack:
            raise RuntimeError("a slip body with forms or images cannot be copied")
        return _PageBody(list(self._code), list(self._runs))

    def put_page_body(self, body: _PageBody) -> None:
        """Start the current (empty) page with ``body``."""
        if self._code or self._runs:
            raise RuntimeError("put_page_body on a page that has been drawn on")
        self._code.extend(body.code)
        self._runs = list(body.runs)

    def showPage(self) -> None:
        self._encode_code()
        super().showPage()

    def beginForm(self, *args: Any, **kwargs: Any) -> None:
        self._run_stack.append(self._runs)
        self._runs = []
        super().beginForm(*args, **kwargs)

    def endForm(self, **extra_attributes: Any) -> None:
        self._encode_code()
        super().endForm(**extra_attributes)
        self._runs = self._run_stack.pop()

    # ------------------------------------------------------------ page numbers

    def mark_page(self, key: object, pages: int | None = None) -> None:
        """Called at the end of each page with the key of the slip it belongs to and, if
        known already, the slip's number of pages."""
        n = self._pn_count[key] = self._pn_count.get(key, 0) + 1
        prefix = f"第 {n} 页 / 共 "
        self.setFont(FONT, 7.5)
        self.setFillColor(_GREY)
        self.drawString(_PAGE_NUMBER_X, FOOTER_Y, prefix)
        x = _PAGE_NUMBER_X + pdfmetrics.stringWidth(prefix, FONT, 7.5)
        if pages is not None:  # no form needed: what the form would show, in place
            self.drawString(x, FOOTER_Y, f"{pages} 页")
            return
        name = self._pn_names.setdefault(key, f"pages{len(self._pn_names)}")
        self.saveState()
        self.translate(x, FOOTER_Y)
        self.doForm(name)
        self.restoreState()

    def save(self) -> None:
        for key, name in self._pn_names.items():
            self.beginForm(name, lowerx=0, lowery=-4, upperx=40, uppery=10)
            self.setFont(FONT, 7.5)
            self.setFillColor(_GREY)
            self.drawString(0, 0, f"{self._pn_count[key]} 页")
            self.endForm()
        super().save()


def _canvas_maker(fixed_date: str) -> type[_SlipCanvas]:
    return type("_DatedSlipCanvas", (_SlipCanvas,), {"fixed_date": fixed_date})


def _draw_watermark(canv: Canvas) -> None:
    canv.saveState()
    canv.setFont(FONT, 64)
    canv.setFillColor(colors.HexColor("#D32F2F"))
    canv.setFillAlpha(0.13)
    canv.translate(PAGE_W / 2, PAGE_H / 2)
    canv.rotate(38)
    canv.drawCentredString(0, -20, WATERMARK)
    canv.restoreState()


def _draw_header(
    canv: Canvas, agency: str, logo: str, title: str, subtitle: str, right: str
) -> None:
    top = PAGE_H - 11 * mm
    x = MARGIN_X
    if logo:
        try:
            canv.drawImage(
                logo,
                x,
                top - 9 * mm,
                width=9 * mm,
                height=9 * mm,
                preserveAspectRatio=True,
                anchor="sw",
                mask="auto",
            )
            x += 11 * mm
        except Exception:  # noqa: BLE001 - a broken logo file must not stop the print run
            pass
    canv.setFillColor(colors.black)
    canv.setFont(FONT, 13)
    canv.drawString(x, top - 5 * mm, agency or "")
    canv.setFont(FONT, 8)
    canv.setFillColor(_GREY)
    if right:
        canv.drawString(x, top - 9 * mm, right)
    canv.setFillColor(colors.black)
    # no bold face in the font: fill + thin stroke makes the title heavier
    canv.saveState()
    canv.setLineWidth(0.35)
    text = canv.beginText(0, 0)
    text.setFont(FONT, 16)
    text.setTextRenderMode(2)
    w = pdfmetrics.stringWidth(title, FONT, 16)
    text.setTextOrigin(PAGE_W - MARGIN_X - w, top - 5 * mm)
    text.textOut(title)
    canv.drawText(text)
    canv.restoreState()
    canv.setFont(FONT, 9)
    canv.drawRightString(PAGE_W - MARGIN_X, top - 9.5 * mm, subtitle)
    canv.setStrokeColor(colors.black)
    canv.setLineWidth(0.8)
    canv.line(MARGIN_X, PAGE_H - TOP + 2 * mm, PAGE_W - MARGIN_X, PAGE_H - TOP + 2 * mm)


def _draw_footer(canv: Canvas, left: str, middle: str) -> None:
    canv.setStrokeColor(_GRID)
    canv.setLineWidth(0.4)
    canv.line(MARGIN_X, BOTTOM - 3, PAGE_W - MARGIN_X, BOTTOM - 3)
    canv.setFont(FONT, 7.5)
    canv.setFillColor(_GREY)
    canv.drawString(MARGIN_X, FOOTER_Y, left)
    canv.drawCentredString(PAGE_W / 2 + 10 * mm, FOOTER_Y, middle)
    canv.setFillColor(colors.black)


def _lock_text(data: SlipData, locked: bool) -> str:
    if locked:
        return f"本月已锁定（{data.locked_at}）" if data.locked_at else "本月已锁定"
    return "本月未锁定 · 草稿，数字可能变动"


class _Decor(NamedTuple):
    """The header and footer of a slip's pages (the page number aside)."""

    agency: str
    logo: str
    title: str
    subtitle: str
    right: str
    lock_text: str
    footer: str
    locked: bool


def _slip_decor(data: SlipData, locked: bool) -> _Decor:
    return _Decor(
        data.agency_name,
        data.agency_logo,
        f"分润单 {format_month(data.month)}",
        f"代理商 {data.agent_code} {data.agent_name}",
        "  ".join(x for x in (data.agency_address, data.agency_phone) if x),
        _lock_text(data, locked),
        f"打印时间 {data.printed_at}    校验码 {data.fingerprint}",
        locked,
    )


def _decorate(canv: _SlipCanvas, decor: _Decor, key: object, pages: int | None = None) -> None:
    """Header, footer, watermark and page number of one page of slip ``key``."""
    _draw_header(canv, decor.agency, decor.logo, decor.title, decor.subtitle, decor.right)
    _draw_footer(canv, decor.lock_text, decor.footer)
    if not decor.locked:
        _draw_watermark(canv)
    canv.mark_page(key, pages)


def _doc_info(locked: bool, title: str, author: str) -> dict[str, Any]:
    return dict(
        pagesize=A4,
        title=title,
        author=author,
        subject="分润单",
        creator="分润台 POSDesk",
        producer="分润台 POSDesk",
        invariant=1 if locked else 0,
        lang="zh-CN",
        initialFontName=register_font(),
    )


def _font_seed(data: SlipData) -> str:
    """The characters to give the first codes of a slip's file: the fixed wording, then
    what every slip of the agency shows (``_SEED``)."""
    text = _SEED + data.agency_name + data.agency_address + data.agency_phone
    text += "".join(p.name for p in data.products) + _SEED_MORE
    seen = dict.fromkeys(c for c in text if ord(c) > 126)
    return "".join(itertools.islice(seen, _SUBSET0_SIZE))


class _SlipDoc(BaseDocTemplate):
    """One agent's slip.  With ``keep_pages`` it also keeps each page's body (everything
    but header and footer) for the combined file."""

    def __init__(self, path: str, data: SlipData, *, locked: bool, keep_pages: bool = False):
        super().__init__(
            path,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=TOP,
            bottomMargin=BOTTOM,
            **_doc_info(
                locked,
                f"分润单 {format_month(data.month)} {data.agent_code} {data.agent_name}",
                data.agency_name,
            ),
        )
        self.data = data
        self.decor = _slip_decor(data, locked)
        self.pages: list[_PageBody] = []
        self.keep_pages = keep_pages
        frame = Frame(
            MARGIN_X,
            BOTTOM,
            WIDTH,
            PAGE_H - TOP - BOTTOM,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate("slip", [frame], onPageEnd=self._page_end)])

    def beforeDocument(self) -> None:
        self.canv.seed_font(_font_seed(self.data))

    def _page_end(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        assert isinstance(canv, _SlipCanvas)
        if self.keep_pages:
            self.pages.append(canv.page_body())
        _decorate(canv, self.decor, 0)


class _Compressed:
    """The Flate filter of a stream that is compressed already."""

    pdfname = "FlateDecode"

    def encode(self, content: bytes) -> bytes:
        return content


class _CombinedFile:
    """All slips in one file for printing, fed slip by slip with the page bodies their
    own files were drawn from: each slip is laid out once for both files."""

    def __init__(self, path: str | Path, month: str, agency: str, locked: bool, fixed: str):
        info = _doc_info(locked, f"分润单 {format_month(month)}（全部）", agency)
        self.canv = _canvas_maker(fixed)(
            str(path),
            pagesize=info.pop("pagesize"),
            invariant=info.pop("invariant"),
            initialFontName=info.pop("initialFontName"),
            lang=info.pop("lang"),
        )
        self.canv.setAuthor(info["author"])
        self.canv.setTitle(info["title"])
        self.canv.setSubject(info["subject"])
        self.canv.setCreator(info["creator"])
        self.canv.setProducer(info["producer"])
        self.slips = 0

    def add(self, decor: _Decor, pages: list[_PageBody]) -> None:
        for body in pages:
            self.canv.put_page_body(body)
            _decorate(self.canv, decor, self.slips, len(pages))
            self.canv.showPage()
            self._compress_now(self.canv._doc.Pages.pages[-1])
        self.slips += 1

    @staticmethod
    def _compress_now(page: Any) -> None:
        # ReportLab compresses every page when the file is saved: thousands of pages
        # would make that a tail after the workers are done, so do it while they work
        if page.compression and isinstance(page.stream, str) and not page.Contents:
            stream = PDFStream(content=zlib.compress(page.stream.encode("utf8")))
            stream.filters = [_Compressed()]
            stream.__Comment__ = "page stream"
            page.Contents = stream
            page.stream = None

    def save(self) -> None:
        self.canv.save()


def _identity(data: SlipData, st: dict[str, ParagraphStyle]) -> Table:
    widths = [17 * mm, 0.0, 17 * mm, 44 * mm, 16 * mm, 27 * mm]
    widths[1] = WIDTH - sum(widths)

    def p(text: str, col: int, span: int = 1) -> Paragraph | _OneLine:
        return _cell_text(text, st["cell"], sum(widths[col : col + span]) - 8)

    rows = [
        ["代理编号", data.agent_code, "代理名称", p(data.agent_name, 3), "状态", data.status_label],
        ["手机号", data.phone, "身份证号", data.id_no, "税点", format_rate(data.tax_rate_ppm)],
        [
            "开户行",
            p(data.bank, 1),
            "银行卡号",
            data.bank_account,
            "起付金额",
            _money(data.min_payout),
        ],
        ["结算方式", p(data.payout_label, 1, 5), "", "", "", ""],
    ]
    extra: list[tuple[Any, ...]] = [("BACKGROUND", (c, 0), (c, -1), _HEAD_BG) for c in (0, 2, 4)]
    extra += [("SPAN", (1, 3), (-1, 3)), ("BACKGROUND", (2, 3), (-1, 3), colors.white)]
    return _table(rows, widths, header_rows=0, extra=extra)


def _product_table(sec: ProductSection, month: str, st: dict[str, ParagraphStyle]) -> Table:
    """One product: the share per card category, then every non-zero line item (a zero
    item is left out to keep the slip short), the subtotal and what carries forward."""

    widths = [30 * mm, 18 * mm, 36 * mm, 32 * mm]
    widths.append(WIDTH - sum(widths))

    def p(text: str) -> Paragraph | _OneLine:
        return _cell_text(text, st["cell"], widths[4] - 8)

    title = _cell_text(f"{sec.name}（{sec.code}）", st["title"], WIDTH - 50 * mm)
    hint = Table(
        [[title, "未列出的项目为 ¥0.00"]],
        colWidths=[WIDTH - 50 * mm, 50 * mm - 8],
        style=[
            ("FONT", (0, 0), (-1, -1), FONT, 7),
            ("TEXTCOLOR", (1, 0), (1, 0), _ZERO),
            ("ALIGN", (1, 0), (1, 0), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            *_one_line_styles([[title]], padding=0),
        ],
    )
    rows: list[list[Any]] = [
        [hint, "", "", "", ""],
        ["项目", "笔数", "交易额", "金额", "说明"],
    ]
    for share in sec.shares:
        rows.append(
            [
                f"{share.label}分润",
                _count(share.count),
                _money(share.volume),
                _money(share.amount),
                "",
            ]
        )
    rows.append(
        [
            "交易分润合计",
            _count(sec.share_count),
            _money(sec.share_volume),
            _money(sec.share_amount),
            "",
        ]
    )
    first_item = len(rows)
    items: list[tuple[str, Fen, Any]] = [
        ("激活返现", sec.cashback, ""),
        ("达标奖励", sec.qualify_bonus, ""),
        ("未达标扣款", sec.unqualified_penalty, "伪激活"),
        ("押金退还", sec.deposit_refund, ""),
        ("押金扣除", sec.deposit_deduction, ""),
    ]
    for adj in sec.adjustments:
        reason = adj.reason
        if adj.corrects:  # a 补差 names the locked month it corrects in its reason
            items.append(("补差", adj.amount, p(reason)))
            continue
        if adj.original_month and adj.original_month != month:
            reason += f"（原属 {format_month(adj.original_month)}）"
        items.append(("调账", adj.amount, p(reason)))
    if len(sec.adjustments) > 1 or (not sec.adjustments and sec.adjustment):
        items.append(("调账合计", sec.adjustment, ""))
    items.append(("上月结转", sec.carried_in, ""))
    rows += [[label, "", "", _money(v), note] for label, v, note in items if v]
    subtotal_row = len(rows)
    rows.append(["本产品小计", "", "", _money(sec.subtotal), ""])
    if sec.carried_out < 0:
        carry_note = "小计为负，结转下月"
    elif sec.carried_out > 0:
        carry_note = "本月未发放，结转下月"
    else:
        carry_note = ""
    rows.append(["结转下月", "", "", _money(sec.carried_out), carry_note])
    extra: list[tuple[Any, ...]] = [
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 1), (-1, 1), _HEAD_BG),
        ("ALIGN", (1, 1), (3, 1), "RIGHT"),
        ("BACKGROUND", (0, first_item - 1), (-1, first_item - 1), _SUB_BG),
        ("BACKGROUND", (0, subtotal_row), (-1, subtotal_row), _SUB_BG),
        ("FONT", (0, subtotal_row), (-1, subtotal_row), FONT, 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
    ]
    extra += [("SPAN", (0, r), (2, r)) for r in range(first_item, len(rows))]
    # zeros in grey so that the amounts that matter stand out
    for r, row in enumerate(rows[2:], start=2):
        for c in (1, 2, 3):
            if row[c] in ("0", "¥0.00"):
                extra.append(("TEXTCOLOR", (c, r), (c, r), _ZERO))
    return _table(rows, widths, header_rows=2, right_cols=(1, 2, 3), extra=extra)


def _totals(data: SlipData, st: dict[str, ParagraphStyle]) -> Table:
    widths = [34 * mm, 40 * mm]
    widths.append(WIDTH - sum(widths))
    rows: list[list[Any]] = [
        ["应发合计", _money(data.gross), "各产品正数小计之和"],
        ["扣税", _money(data.tax), f"税点 {format_rate(data.tax_rate_ppm)}"],
        ["实发金额", _money(data.payable), "已发放" if data.paid else "本月不发放"],
        ["实发金额（大写）", money_in_words(data.payable), ""],
    ]
    extra = [
        ("SPAN", (1, 3), (2, 3)),
        ("ALIGN", (1, 3), (1, 3), "LEFT"),
        ("BACKGROUND", (0, 0), (0, -1), _HEAD_BG),
        ("FONT", (0, 2), (1, 2), FONT, 11),
        ("FONT", (1, 3), (1, 3), FONT, 10.5),
        ("TEXTCOLOR", (2, 0), (2, 2), _GREY),
    ]
    return _table(rows, widths, header_rows=0, right_cols=(1,), extra=extra, font_size=9.5)


def _note_box(notes: list[str], st: dict[str, ParagraphStyle]) -> Table:
    paras = [Paragraph(escape(n), st["note"]) for n in notes]
    t = Table([[paras]], colWidths=[WIDTH], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, 0), (-1, -1), _NOTE_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 2.5, _NOTE_LINE),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return t


def _pass_on_table(data: SlipData, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    widths = [26 * mm, 0.0, 32 * mm, 32 * mm, 34 * mm]
    widths[1] = WIDTH - sum(widths)

    def p(text: str) -> Paragraph | _OneLine:
        return _cell_text(text, st["cell"], widths[1] - 8)

    rows: list[list[Any]] = [["代理编号", "代理名称", "本人实发", "其下级代发", "应转交合计"]]
    for x in data.pass_on:
        rows.append([x.code, p(x.name), _money(x.own), _money(x.below), _money(x.total)])
    rows.append(
        [
            "合计",
            f"{len(data.pass_on)} 人",
            _money(sum(x.own for x in data.pass_on)),
            _money(sum(x.below for x in data.pass_on)),
            _money(data.pass_on_total),
        ]
    )
    own = data.payable if data.paid else 0
    receive = own + data.pass_on_total
    return [
        Paragraph("代发明细（以下下级的分润随本单一并发给本人，由本人转交）", st["h2"]),
        _table(
            rows, widths, right_cols=(2, 3, 4), extra=[("BACKGROUND", (0, -1), (-1, -1), _SUB_BG)]
        ),
        Spacer(0, 2),
        Paragraph(
            escape(
                f"本月共收款 {_money(receive)} = 本人实发 {_money(own)} + 代发下级 {_money(data.pass_on_total)}"
            ),
            st["body"],
        ),
    ]


def _team_table(data: SlipData, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    widths = [0.0, 15 * mm, 15 * mm, 16 * mm, 16 * mm, 15 * mm, 28 * mm, 24 * mm]
    widths[0] = WIDTH - sum(widths)

    def p(text: str) -> Paragraph | _OneLine:
        return _cell_text(text, st["cell"], widths[0] - 8)

    rows: list[list[Any]] = [
        ["团队", "持有机具", "本月激活", "激活率", "伪激活率", "丢失率", "本月交易额", "台均交易额"]
    ]
    for row in data.team:
        f = row.figures
        rows.append(
            [
                p(row.label),
                _count(f.held),
                _count(f.activated_month),
                _pct(f.activation_rate_ppm),
                _pct(f.fake_rate_ppm),
                _pct(f.lost_rate_ppm),
                _money(f.volume_fen),
                _money(f.avg_volume_fen),
            ]
        )
    extra = [("BACKGROUND", (0, 1), (-1, 1), _SUB_BG)] if len(rows) > 2 else []
    return [
        Paragraph("团队数据（截至月末；直属下级各一行，含其团队）", st["h2"]),
        _table(rows, widths, right_cols=range(1, 8), extra=extra, font_size=8),
    ]


def _signatures(st: dict[str, ParagraphStyle]) -> Table:
    widths = [17 * mm, 42 * mm, 30 * mm, 42 * mm, 18 * mm]
    widths.append(WIDTH - sum(widths))
    t = Table(
        [["经办人：", "", "代理商签字：", "", "日期：", ""]],
        colWidths=widths,
        rowHeights=[12 * mm],
        hAlign="LEFT",
    )
    t.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9.5),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, 0), 0.6, colors.black),
                ("LINEBELOW", (5, 0), (5, 0), 0.6, colors.black),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                ("ALIGN", (4, 0), (4, 0), "RIGHT"),
            ]
        )
    )
    return t


def _slip_story(data: SlipData) -> list[Flowable]:
    st = _styles()
    story: list[Flowable] = [_identity(data, st), Spacer(0, 4)]
    if not data.products:
        story.append(Paragraph("本月没有分润明细。", st["body"]))
    for sec in data.products:
        story += [Spacer(0, 4), _product_table(sec, data.month, st)]
    story += [Paragraph("本月合计", st["h2"]), _totals(data, st)]
    if data.notes:
        story += [Spacer(0, 4), _note_box(data.notes, st)]
    if data.pass_on:
        story += _pass_on_table(data, st)
    if data.team:
        story += _team_table(data, st)
    story.append(KeepTogether([Spacer(0, 6 * mm), _signatures(st)]))
    return story


def _render(
    data: SlipData, path: str | Path, locked: bool, *, keep_pages: bool = False
) -> list[_PageBody]:
    """Draw one slip into one PDF; with ``keep_pages`` return its page bodies for the
    combined file."""
    doc = _SlipDoc(str(path), data, locked=locked, keep_pages=keep_pages)
    fixed = (data.locked_at or "2000-01-01 00:00:00") if locked else ""
    doc.build(_slip_story(data), canvasmaker=_canvas_maker(fixed))
    return doc.pages


def render_slip(data: SlipData, path: str | Path, *, locked: bool) -> None:
    """Draw one slip to ``path`` (A4 PDF).  ``locked`` makes it byte-reproducible;
    otherwise it is watermarked "未锁定 草稿"."""
    _render(data, path, locked)


# ---------------------------------------------------------------------------- summary


def _render_summary(snap: MonthSnapshot, path: str | Path) -> None:
    register_font()
    st = _styles()
    locked = snap.locked
    agency = snap.settings.get("agency_name", "") or ""
    doc = BaseDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"分润汇总 {format_month(snap.month)}",
        author=agency,
        creator="分润台 POSDesk",
        producer="分润台 POSDesk",
        invariant=1 if locked else 0,
        lang="zh-CN",
        initialFontName=FONT,
    )
    printed = snap.locked_at if locked and snap.locked_at else snap.printed_at
    lock_text = f"本月已锁定（{snap.locked_at}）" if locked else "本月未锁定 · 草稿，数字可能变动"
    agent_ids = snap.slip_agents()

    def page_end(canv: Canvas, _doc: BaseDocTemplate) -> None:
        _draw_header(
            canv,
            agency,
            snap.settings.get("agency_logo", "") or "",
            f"分润汇总 {format_month(snap.month)}",
            f"共 {len(agent_ids)} 位代理商",
            "",
        )
        _draw_footer(canv, lock_text, f"打印时间 {printed}")
        if not locked:
            _draw_watermark(canv)
        canv.mark_page("summary")  # type: ignore[attr-defined]

    frame = Frame(
        MARGIN_X,
        BOTTOM,
        WIDTH,
        PAGE_H - TOP - BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate("summary", [frame], onPageEnd=page_end)])

    def p(text: str) -> Paragraph:
        return Paragraph(escape(text), st["cell"])

    depth: dict[int, int] = {}
    for a in snap.tree_order():
        parent = snap.agents[a].parent_id
        depth[a] = depth.get(parent, -1) + 1 if parent is not None else 0
    widths = [24 * mm, 0.0, 26 * mm, 30 * mm, 24 * mm, 30 * mm]
    widths[1] = WIDTH - sum(widths)
    rows: list[list[Any]] = [["代理编号", "代理名称", "发放", "应发合计", "扣税", "实发金额"]]
    gross = tax = payable = direct = via = 0
    indented: dict[int, ParagraphStyle] = {}
    for a in agent_ids:
        ag = snap.agents[a]
        s = snap.statements.get(a)
        if s is None:
            how = "仅代发"
        elif s.on_hold:
            how = "停发"
        elif not s.paid:
            how = "未达起付" if s.gross > 0 else "无可发"
        elif s.paid_by in snap.agents:
            how = f"由 {snap.agents[s.paid_by].code} 代发"
        else:
            how = "直结"
        if s is not None:
            gross, tax, payable = gross + s.gross, tax + s.tax, payable + s.payable
            if s.paid:
                if s.paid_by in snap.agents:
                    via += s.payable
                else:
                    direct += s.payable
        level = min(depth.get(a, 0), 6)
        if level not in indented:
            indented[level] = ParagraphStyle(f"l{level}", parent=st["cell"], leftIndent=9 * level)
        rows.append(
            [
                ag.code,
                _cell_text(ag.name, indented[level], widths[1] - 8),
                how,
                _money(s.gross if s else 0),
                _money(s.tax if s else 0),
                _money(s.payable if s else 0),
            ]
        )
    rows.append(["合计", "", "", _money(gross), _money(tax), _money(payable)])
    story: list[Flowable] = [
        _table(
            rows,
            widths,
            right_cols=(3, 4, 5),
            font_size=8,
            extra=[("BACKGROUND", (0, -1), (-1, -1), _SUB_BG)],
        ),
        Spacer(0, 4),
        Paragraph(
            escape(
                f"其中机构直接发放 {_money(direct)}，上级代发 {_money(via)}（随上级一并发放）。"
            ),
            st["body"],
        ),
        Paragraph("机构留存（按产品）", st["h2"]),
    ]
    mrows: list[list[Any]] = [["产品", "名称", "交易分润池", "机构留存"]]
    for code, name, pool, margin in snap.margins:
        mrows.append([code, p(name), _money(pool), _money(margin)])
    mrows.append(
        [
            "合计",
            "",
            _money(sum(m[2] for m in snap.margins)),
            _money(sum(m[3] for m in snap.margins)),
        ]
    )
    mw = [24 * mm, 0.0, 34 * mm, 34 * mm]
    mw[1] = WIDTH - sum(mw)
    story.append(
        _table(
            mrows,
            mw,
            right_cols=(2, 3),
            font_size=8,
            extra=[("BACKGROUND", (0, -1), (-1, -1), _SUB_BG)],
        )
    )
    fixed = (snap.locked_at or "2000-01-01 00:00:00") if locked else ""
    doc.build(story, canvasmaker=_canvas_maker(fixed))


# ---------------------------------------------------------------------------- batch

_SAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def slip_file_name(month: str, code: str, name: str) -> str:
    """``2026-10_A001_张三.pdf``; characters Windows forbids become ``_``."""
    safe_name = _SAFE.sub("_", name).strip(" .") or "_"
    return f"{month}_{_SAFE.sub('_', code)}_{safe_name}.pdf"


class _Cancelled(Exception):
    pass


# Per-process state of a batch: the snapshot, the temp folder, how to report progress.
_STATE: dict[str, Any] = {}

# A task: ("slips", agent ids, keep the pages for the combined file) or ("summary", [], _).
_Task = tuple[str, list[int], bool]
# What a task hands back per file: its name and, for the combined file, how to draw the
# slip's pages again (header and footer, page bodies).
_Done = tuple[str, _Decor | None, list[_PageBody]]


def _worker_init(
    db_path: str | None,
    month: str,
    team: dict[int, TeamFigures],
    printed_at: str,
    tmp_dir: str,
    progress_queue: Any,
) -> None:
    if db_path is not None:
        from app.models.db import open_database

        open_database(db_path)
    register_font()
    _STATE.clear()
    _STATE.update(
        snap=MonthSnapshot(month, team=team, printed_at=printed_at),
        tmp=Path(tmp_dir),
        queue=progress_queue,
    )


def _tick(n: int = 1) -> None:
    q = _STATE.get("queue")
    if q is not None:
        q.put(n)
    callback = _STATE.get("tick")
    if callback is not None:
        callback(n)


def _worker_task(task: _Task) -> list[_Done]:
    """Render one task into the temp folder."""
    kind, ids, keep_pages = task
    snap: MonthSnapshot = _STATE["snap"]
    tmp: Path = _STATE["tmp"]
    month = snap.month
    if kind == "slips":
        done: list[_Done] = []
        for a in ids:
            data = snap.slip(a)
            name = slip_file_name(month, data.agent_code, data.agent_name)
            pages = _render(data, tmp / name, snap.locked, keep_pages=keep_pages)
            done.append((name, _slip_decor(data, snap.locked) if keep_pages else None, pages))
            _tick()
        return done
    name = f"{month}_{SUMMARY_NAME}.pdf"
    _render_summary(snap, tmp / name)
    _tick()
    return [(name, None, [])]


def render_batch(
    month: str,
    out_dir: str | Path,
    agent_code: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    processes: int | None = None,
) -> BatchResult:
    """Write the month's slips into ``out_dir``: ``M_CODE_name.pdf`` per agent, all of them
    in tree order in ``M_全部分润单.pdf`` and ``M_汇总.pdf``; with ``agent_code`` only
    that agent's slip.  Runs on ``processes`` processes (default: all cores).

    Each slip is laid out once: the workers write the per-agent files and hand back each
    page as drawn, and this process copies those pages, in tree order, into the combined
    file while the workers go on."""
    _check_month(month)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sweep_folder(out)  # what a killed batch left here
    if cancel is not None and cancel():
        return BatchResult(cancelled=True)
    printed_at = _text_time(dt.datetime.now())
    snap = MonthSnapshot(month, printed_at=printed_at)  # a locked month's: as frozen
    team = snap.team
    if agent_code is not None:
        agent_id = snap.by_code.get(agent_code)
        if agent_id is None:
            raise UserError(f"代理编号“{agent_code}”不存在")
        ids = [agent_id]
    else:
        ids = snap.slip_agents()
        if not ids:
            raise UserError(f"{format_month(month)}没有分润单可打印,请先计算本月")
    whole = agent_code is None
    total = len(ids) + (len(ids) + 1 if whole else 0)
    if processes is None:
        # starting a worker (a fresh interpreter, the font) costs as much as ~40 slips
        procs = (os.cpu_count() or 1) if total >= SMALL_BATCH else 1
    else:
        procs = max(1, processes)
    chunk = max(1, min(50, len(ids) // (procs * 4) or 1))
    # the summary first: one long table, it must not be the last thing a worker does
    tasks: list[_Task] = [("summary", [], False)] if whole else []
    tasks += [("slips", ids[i : i + chunk], whole) for i in range(0, len(ids), chunk)]

    tmp = make_batch_dir(out)  # removed below however the batch ends (app.io.slip_temp)
    done = 0

    def report(n: int) -> None:
        nonlocal done
        if n:
            done += n
            if progress is not None:
                progress(min(done, total), total)
        if cancel is not None and cancel():
            raise _Cancelled

    names: list[str] = []
    combined: _CombinedFile | None = None
    combined_name = f"{month}_{COMBINED_NAME}.pdf"
    if whole:
        fixed = (snap.locked_at or "2000-01-01 00:00:00") if snap.locked else ""
        agency = snap.settings.get("agency_name", "") or ""
        combined = _CombinedFile(tmp / combined_name, month, agency, snap.locked, fixed)

    def absorb(results: list[_Done]) -> None:
        """Take one task's results, in task order."""
        for name, decor, pages in results:
            names.append(name)
            if combined is not None and decor is not None:
                combined.add(decor, pages)
                report(1)

    try:
        if progress is not None:
            progress(0, total)
        if procs == 1 or len(tasks) == 1:
            _run_here(snap, tmp, tasks, report, absorb)
        else:
            _run_pool(month, team, printed_at, tmp, tasks, procs, report, absorb)
        if combined is not None:
            combined.save()
            names.append(combined_name)
    except _Cancelled:
        remove_batch_dir(tmp)
        return BatchResult(cancelled=True)
    except BaseException:
        remove_batch_dir(tmp)
        raise
    result = BatchResult()
    for name in names:
        target = out / name
        os.replace(tmp / name, target)
        if name == combined_name and whole:
            result.combined = target
        elif name.endswith(f"_{SUMMARY_NAME}.pdf") and whole:
            result.summary = target
        else:
            result.files.append(target)
    remove_batch_dir(tmp)
    if progress is not None:
        progress(total, total)
    return result


def _run_here(
    snap: MonthSnapshot,
    tmp: Path,
    tasks: list[_Task],
    report: Callable[[int], None],
    absorb: Callable[[list[_Done]], None],
) -> None:
    _STATE.clear()
    _STATE.update(snap=snap, tmp=tmp, tick=report)
    try:
        # the per-agent files first: the user sees progress from the start
        ordered = [t for t in tasks if t[0] == "slips"] + [t for t in tasks if t[0] != "slips"]
        for task in ordered:
            absorb(_worker_task(task))
    finally:
        _STATE.clear()


def _run_pool(
    month: str,
    team: dict[int, TeamFigures],
    printed_at: str,
    tmp: Path,
    tasks: list[_Task],
    procs: int,
    report: Callable[[int], None],
    absorb: Callable[[list[_Done]], None],
) -> None:
    db = database.obj
    db_path = getattr(db, "database", None)
    if not db_path or db_path == ":memory:":
        raise UserError("内存数据库无法多进程打印,请使用 processes=1")
    # spawn everywhere: what Windows does anyway, and safe next to Qt's threads
    ctx = multiprocessing.get_context("spawn")
    progress_queue = ctx.Queue()
    pool = ctx.Pool(
        procs,
        initializer=_worker_init,
        initargs=(str(db_path), month, team, printed_at, str(tmp), progress_queue),
    )
    try:
        pending = [pool.apply_async(_worker_task, (task,)) for task in tasks]
        pool.close()
        taken = 0
        while taken < len(pending):
            if pending[taken].ready():
                # in task order: the combined file grows in tree order
                absorb(pending[taken].get())
                taken += 1
                continue
            try:
                report(progress_queue.get(timeout=0.05))
                continue
            except queue_module.Empty:
                pass
            report(0)  # checks for a cancel even while nothing finishes
        while True:
            try:
                report(progress_queue.get_nowait())
            except queue_module.Empty:
                break
        pool.terminate()  # every task is back; no need to wait for the workers to wind down
        pool.join()
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    finally:
        progress_queue.close()


# ---------------------------------------------------------------------------- payout list

_FORMULA_START = ("=", "+", "-", "@")


def _text_cell(ws: Any, row: int, col: int, value: str) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    cell.data_type = "s"  # never a formula, whatever the name starts with
    if value.startswith(_FORMULA_START) or value[:1] in ("\t", "\r"):
        cell.quotePrefix = True


def _yuan(fen: Fen) -> Decimal:
    return Decimal(fen) / 100


def write_payout_list(month: str, path: str | Path) -> int:
    """Write the month's bank transfer list (xlsx): every agent the agency pays directly,
    with the full account and the amount to transfer (its own payable plus what it passes
    on to its via-parent downlines).  Returns the number of agents listed."""
    # openpyxl (and the numpy it pulls in) is only needed here: keep print workers light
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from app.core import auth

    auth.require("payout")  # the list carries full bank accounts
    _check_month(month)
    snap = MonthSnapshot(month, team={})
    rows = []
    for a in sorted(snap.agents.values(), key=lambda x: x.code):
        if snap.payer_of(a.id) is not None:
            continue
        total = snap.flow(a.id)
        if total == 0:
            continue
        rows.append((a, total, snap.own_paid(a.id), total - snap.own_paid(a.id)))
    wb = Workbook()
    ws = wb.active
    ws.title = f"{month} 转账清单"
    headers = [
        "代理编号",
        "代理名称",
        "开户行",
        "银行卡号",
        "转账金额(元)",
        "本人实发(元)",
        "代发下级(元)",
    ]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="ECEFF1")
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=c, value=h)
        cell.font, cell.fill = bold, fill
    money_fmt = "#,##0.00"
    r = 1
    for a, total, own, passed in rows:
        r += 1
        _text_cell(ws, r, 1, a.code)
        _text_cell(ws, r, 2, a.name)
        _text_cell(ws, r, 3, a.bank)
        _text_cell(ws, r, 4, a.bank_account)
        for c, fen in ((5, total), (6, own), (7, passed)):
            cell = ws.cell(row=r, column=c, value=_yuan(fen))
            cell.number_format = money_fmt
    r += 1
    _text_cell(ws, r, 1, "合计")
    _text_cell(ws, r, 2, f"{len(rows)} 人")
    for c, fen in (
        (5, sum(x[1] for x in rows)),
        (6, sum(x[2] for x in rows)),
        (7, sum(x[3] for x in rows)),
    ):
        cell = ws.cell(row=r, column=c, value=_yuan(fen))
        cell.number_format = money_fmt
    for c in range(1, 8):
        ws.cell(row=r, column=c).font = bold
    for col, width in zip("ABCDEFG", (12, 16, 20, 24, 16, 16, 16), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    for row in ws.iter_rows(min_row=2, max_row=r, min_col=4, max_col=4):
        for cell in row:
            cell.alignment = Alignment(horizontal="left")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return len(rows)

"""A 交易流水号 seen before (FORMATS "Values"): with the same data it is skipped, with other
data (time, SN, amount, category, status) it is an error naming the row it conflicts with.

The transaction import inserts each batch with ``ON CONFLICT (tx_id) DO NOTHING``; only
when fewer rows went in than were sent does it ask :func:`conflicts` which rows met a
stored one.  Each stored transaction carries its import batch (the file) and ``src_row``
(the row in that file), so the message can name the earlier file and row; a repeat within
the same file names both rows.  A re-import of a whole file pays this once per batch.
"""

from __future__ import annotations

import json
from typing import Any

from app.core.errors import RowError
from app.core.money import format_money

# positions in an insert tuple (importers._TX_COLUMNS)
TX_ID, TERMINAL, TIME, AMOUNT, CATEGORY, STATUS, ROW = 0, 1, 3, 6, 7, 8, 12

_SQL = (
    "SELECT json_extract(j.value, '$[12]'), t.tx_id, t.batch_id, t.src_row, b.file_name, "
    "t.time, json_extract(j.value, '$[3]'), t.terminal_id, json_extract(j.value, '$[1]'), "
    "t.amount, json_extract(j.value, '$[6]'), t.category, json_extract(j.value, '$[7]'), "
    "t.status, json_extract(j.value, '$[8]') "
    "FROM json_each(?) AS j JOIN txn AS t ON t.tx_id = json_extract(j.value, '$[0]') "
    "LEFT JOIN import_batch AS b ON b.id = t.batch_id "
    "WHERE NOT (t.batch_id IS ? AND t.src_row IS json_extract(j.value, '$[12]'))"
)

_LABELS = ("时间", "终端", "金额", "卡类型", "状态")
_CATEGORY = {"credit": "贷记卡", "debit": "借记卡", "scan": "扫码"}
_STATUS = {"success": "成功", "void": "撤销", "reversal": "冲正", "failed": "失败", "refund": "退货"}


def conflicts(cursor: Any, batch: str | list[tuple], batch_id: int, file_name: str,
              column: str, sn_of: dict[int, str]) -> list[RowError]:
    """The rows of ``batch`` (insert tuples, or their JSON) whose tx_id is stored with other
    data; one error per row, naming the stored row's file and row."""
    data = batch if isinstance(batch, str) else json.dumps(batch, ensure_ascii=False)
    errors = []
    for (row, tx_id, other_batch, other_row, other_file, *pairs) in cursor.execute(_SQL, (data, batch_id)):
        diffs = []
        olds, news = pairs[0::2], pairs[1::2]
        if other_batch == batch_id and other_row is not None and row < other_row:
            olds, news = news, olds  # always: the earlier row's value ≠ this row's
        for label, (old, new) in zip(_LABELS, zip(olds, news, strict=True), strict=True):
            if old != new:
                diffs.append(f"{label} {_shown(label, old, sn_of)} ≠ {_shown(label, new, sn_of)}")
        if not diffs:
            continue  # the same transaction again: skipped
        if other_batch == batch_id:
            first, row = sorted((row, other_row))
            where = f"本文件第{first}行"
        elif other_file is None:
            where = "此前导入的数据"
        elif other_row is None:
            where = f"此前导入的文件 {other_file}(行号未记录)"
        else:
            where = f"此前导入的文件 {other_file} 第{other_row}行"
        errors.append(RowError(
            file_name, row, column,
            f"交易流水号 {tx_id} 已出现在{where},但数据不同({';'.join(diffs)});"
            "请核对两份文件,同一笔交易只能有一种数据",
        ))
    return errors


def _shown(label: str, value: object, sn_of: dict[int, str]) -> str:
    if label == "终端":
        return sn_of.get(value, str(value)) if isinstance(value, int) else str(value)
    if label == "金额" and isinstance(value, int):
        return format_money(value)
    if label == "卡类型":
        return _CATEGORY.get(str(value), str(value))
    if label == "状态":
        return _STATUS.get(str(value), str(value))
    return str(value)

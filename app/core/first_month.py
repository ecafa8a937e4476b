"""The first-run checklist (开始使用): what a new office does, in order, from an empty
database to its first computed, locked and printed month.  Each step is done or not
according to the data alone (nothing is ticked by hand), so the list is right however the
office got there — window, import files or the command line."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.months import get_setting, set_setting
from app.models import database

PRINTED_KEY = "slips_printed:"  # + YYYY-MM, set when a month's slips are printed or exported


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    detail: str
    page: str  # the nav title of the page where it is done
    how: str  # what to do there


def _count(sql: str) -> int:
    return int(database.execute_sql(sql).fetchone()[0])


def _exists(table: str, where: str = "") -> bool:
    sql = f"SELECT 1 FROM {table} {('WHERE ' + where) if where else ''} LIMIT 1"
    return database.execute_sql(sql).fetchone() is not None


def mark_printed(month: str) -> None:
    """Remember that ``month``'s slips were printed or exported."""
    set_setting(PRINTED_KEY + month, "1")


def checklist() -> list[Step]:
    """The ten steps of a new office's first month, each done or not from the data."""
    agency = get_setting("agency_name")
    products = _count("SELECT COUNT(*) FROM product")
    prices = _count("SELECT COUNT(*) FROM price")
    policies = _count("SELECT COUNT(*) FROM policy")
    agency_cost = _exists("policy", "agent_id IS NULL")
    agents = _count("SELECT COUNT(*) FROM agent")
    terminals = _count("SELECT COUNT(*) FROM terminal")
    allocated = _exists("terminal_event", "action = 'allocate'")
    txn_month = database.execute_sql("SELECT MAX(month) FROM txn").fetchone()[0]
    computed = database.execute_sql(
        "SELECT MIN(month) FROM month_state WHERE computed_at IS NOT NULL").fetchone()[0]
    locked = database.execute_sql(
        "SELECT MIN(month) FROM month_state WHERE state = 'locked'").fetchone()[0]
    printed = database.execute_sql(
        "SELECT MIN(substr(key, ?)) FROM setting WHERE key LIKE ?",
        (len(PRINTED_KEY) + 1, PRINTED_KEY + "%")).fetchone()[0]
    return [
        Step("agency", "填写机构名称", bool(agency), agency or "还没有机构名称",
             "设置", "在「设置」里填写机构名称和起付金额"),
        Step("product", "新增产品", products > 0, f"{products} 个产品" if products else "还没有产品",
             "产品", "在「产品」页点「新增产品」,填写支付公司的条款"),
        Step("prices", "填写商户费率", prices > 0, f"{prices} 行" if prices else "还没有商户费率",
             "产品", "在「产品」页选中产品,点「新增费率行」"),
        Step("policies", "填写结算政策", agency_cost,
             (f"{policies} 条" + ("" if agency_cost else ",缺本机构成本价")) if policies
             else "还没有政策", "政策",
             "先填本机构的成本价;各代理的结算价在添加代理后填写(下发机具前必须有),也可用模板导入"),
        Step("agents", "添加代理", agents > 0, f"{agents:,} 个代理" if agents else "还没有代理",
             "代理商", "在「代理商」页新增,或用代理模板在「交易导入」导入"),
        Step("terminals", "机具入库并下发", terminals > 0 and allocated,
             (f"{terminals:,} 台" + ("" if allocated else ",还没有下发")) if terminals
             else "还没有机具", "机具", "在「机具」页入库、下发给代理,或导入入库和划拨文件"),
        Step("transactions", "导入交易", txn_month is not None,
             f"最近 {txn_month}" if txn_month else "还没有交易", "交易导入",
             "把支付公司导出的交易明细拖进「交易导入」"),
        Step("compute", "计算第一个月", computed is not None,
             f"已计算 {computed}" if computed else "还没有计算", "月结", "在「月结」检查并计算"),
        Step("lock", "锁定该月", locked is not None, f"已锁定 {locked}" if locked else "还没有锁定",
             "月结", "核对无误后在「月结」锁定"),
        Step("print", "打印分润单", printed is not None,
             f"已打印 {printed}" if printed else "还没有打印", "月结",
             "在「月结」最后一步打印或导出分润单"),
    ]


def is_complete(steps: list[Step] | None = None) -> bool:
    return all(s.done for s in (steps if steps is not None else checklist()))

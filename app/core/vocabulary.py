"""Words and value sets said once: every module that needs one imports it from here.

* ``COUNTED_STATUSES``: the transaction statuses a settlement counts (DOMAIN §2: 成功, and
  退货 as a negative amount); ``COUNTED`` the same as an SQL list, for ``status IN …``.
* ``KIND_LABELS``: the import kinds in the words of the window (代理商, 机具, 调账 …), for
  the import page, the history, and messages.
* ``CATEGORY_LABELS``: the card categories as printed.
"""

from __future__ import annotations

COUNTED_STATUSES: tuple[str, ...] = ("success", "refund")
COUNTED = "(" + ", ".join(f"'{s}'" for s in COUNTED_STATUSES) + ")"

KIND_LABELS: dict[str, str] = {
    "agents": "代理商",
    "products": "产品",
    "prices": "商户费率",
    "policies": "政策",
    "terminals": "机具入库",
    "moves": "机具流转",
    "activations": "激活",
    "transactions": "交易",
    "adjustments": "调账",
    "company_report": "支付公司对账单",
}

CATEGORY_LABELS: dict[str, str] = {"credit": "贷记卡", "debit": "借记卡", "scan": "扫码"}

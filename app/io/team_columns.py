"""Column names of the team's import files (FORMATS "Team, merchants …"): the first name
of each column is the Chinese one used in messages; the English key is always accepted."""

from __future__ import annotations

Columns = list[tuple[str, tuple[str, ...], bool]]  # (key, names, required)
_R = True


def c(key: str, *names: str, required: bool = False) -> tuple[str, tuple[str, ...], bool]:
    return key, names, required

_STAFF = ("员工编号", "员工工号", "工号", "staff_code")
_MERCHANT = ("商户编号", "商户号", "商户编码")

TEAM_COLUMNS: dict[str, Columns] = {
    "staff": [
        c("code", *_STAFF, required=_R),
        c("name", "姓名", "员工姓名", "名字", required=_R),
        c("role", "岗位", "职位", "角色", required=_R),
        c("phone", "手机", "手机号", "电话", "联系电话"),
        c("joined", "入职日期", "入职时间"),
        c("left", "离职日期", "离职时间"),
    ],
    "merchants": [
        c("merchant_no", *_MERCHANT, required=_R),
        c("name", "商户名称", "商户名"),
        c("staff", "业务员", "业务员编号", "负责员工", *_STAFF),
        c("effective_from", "生效日期", "交接日期", "起始日期"),
        c("contact", "联系人"),
        c("phone", "电话", "联系电话", "手机"),
        c("address", "地址", "经营地址"),
        c("industry", "行业", "经营类目"),
    ],
    "tickets": [
        c("ticket_id", "工单号", "工单编号", required=_R),
        c("opened", "创建时间", "开单时间", "提交时间", required=_R),
        c("type", "类型", "工单类型", required=_R),
        c("staff", "处理人", "处理员工", *_STAFF, required=_R),
        c("merchant_no", *_MERCHANT),
        c("sn", "终端SN", "SN", "机具SN"),
        c("resolved", "解决时间", "完成时间", "关闭时间"),
        c("outcome", "结果", "处理结果"),
        c("rating", "满意度", "评分", "满意度评分"),
        c("note", "备注", "说明"),
    ],
    "staff_plans": [
        c("target", "适用对象", "对象", "员工或岗位", required=_R),
        c("effective_month", "生效月份", "起始月份", required=_R),
        c("base", "底薪"),
        c("per_activation", "激活提成", "每台激活提成"),
        c("volume_rate", "交易提成", "交易额提成", "交易提成比例"),
        c("scope", "范围", "统计范围"),
        c("per_ticket", "解决工单提成", "工单提成"),
        c("sla_hours", "处理时限小时", "处理时限", "时限小时"),
        c("resolution_tiers", "解决率奖励", "解决率阶梯"),
        c("satisfaction_tiers", "满意度奖励", "满意度阶梯"),
        c("min_ratings", "最少评价数", "最少评价"),
    ],
    "staff_adjustments": [
        c("staff", *_STAFF, required=_R),
        c("month", "月份", "结算月份", required=_R),
        c("amount", "金额", "奖惩金额", required=_R),
        c("reason", "原因", "奖惩原因", "说明", required=_R),
    ],
    "contacts": [
        c("merchant_no", *_MERCHANT, required=_R),
        c("date", "日期", "回访日期", "联系日期", required=_R),
        c("staff", *_STAFF, "回访人", required=_R),
        c("channel", "方式", "联系方式", "回访方式"),
        c("summary", "内容", "回访内容", "摘要"),
        c("next_date", "下次日期", "下次回访日期", "下次联系日期"),
    ],
}

TEAM_LABELS = {
    "staff": "员工",
    "merchants": "商户",
    "tickets": "工单",
    "staff_plans": "提成方案",
    "staff_adjustments": "员工奖惩",
    "contacts": "回访记录",
}

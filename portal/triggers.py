"""The append-only tables' triggers (django-pgtrigger): how they are declared, and whether each
is installed and enabled.

The audit trail (audit.AuditEvent), the draws' record (draws.models) and the review histories
(experts.ApplicationTransition, changes.ChangeTransition, accounts.UnitTransition: who
submitted, recommended, returned, approved or rejected what) are append-only because
PostgreSQL's triggers refuse UPDATE, DELETE and TRUNCATE. Their models declare them with the
functions below, so that every such table refuses the same way. A trigger someone disabled
(`ALTER TABLE … DISABLE TRIGGER …`) or dropped refuses nothing and says nothing: trigger_state
says it, for `/healthz?details` and the admin index. One catalogue query per trigger
(pgtrigger's own status check), so it is asked only where an operator looks.
"""

import dataclasses

import pgtrigger
from django.conf import settings
from django.db import connections


def protect_unless(
    name: str,
    operation: pgtrigger.Operation,
    allowed: str,
    condition: pgtrigger.Condition | None = None,
) -> pgtrigger.Trigger:
    """Refuses `operation` on the table's rows (those `condition` holds for, when given) as
    pgtrigger.Protect does, with its message, except on a row for which the SQL `allowed`
    holds (OLD and NEW as in a row trigger).

    The one narrow change a protected table takes, said in the trigger rather than through
    pgtrigger.ignore: ignore sends a set_config in front of each statement, which PostgreSQL
    refuses once values are bound on the server (DATABASE_PREPARE_THRESHOLD). `allowed` is in
    the function, not the trigger's WHEN `condition`, because it may read another table, and
    PostgreSQL allows no subquery in a WHEN."""
    kept = "OLD" if str(operation) == str(pgtrigger.Delete) else "NEW"
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=operation,
        condition=condition,
        func=(
            f"IF {allowed} THEN RETURN {kept}; END IF; "
            f"RAISE EXCEPTION 'pgtrigger: Cannot {str(operation).lower()} rows from % table', "
            "TG_TABLE_NAME;"
        ),
    )


def no_update(
    prefix: str, condition: pgtrigger.Condition | None = None, allowed: str = ""
) -> pgtrigger.Trigger:
    """Refuses every UPDATE of the table's rows (those `condition` holds for, when given; not
    those `allowed` holds for, when given: protect_unless)."""
    name = f"{prefix}_no_update"
    if allowed:
        return protect_unless(name, pgtrigger.Update, allowed, condition)
    return pgtrigger.Protect(name=name, operation=pgtrigger.Update, condition=condition)


def no_delete(prefix: str) -> pgtrigger.Protect:
    """Refuses every DELETE of the table's rows."""
    return pgtrigger.Protect(name=f"{prefix}_no_delete", operation=pgtrigger.Delete)


def no_truncate(prefix: str) -> pgtrigger.Trigger:
    """Refuses every TRUNCATE of the table.

    TRUNCATE fires no row trigger: a statement trigger refuses it. It fires for a table emptied
    by another's TRUNCATE … CASCADE too, and for `manage.py flush`. pgtrigger.Protect has no
    statement-level form for TRUNCATE (it needs a transition table, which TRUNCATE has not), so
    the function is written out."""
    return pgtrigger.Trigger(
        name=f"{prefix}_no_truncate",
        level=pgtrigger.Statement,
        when=pgtrigger.Before,
        operation=pgtrigger.Truncate,
        func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
    )


def append_only(
    prefix: str, update_condition: pgtrigger.Condition | None = None, update_allowed: str = ""
) -> list:
    """Triggers that refuse every UPDATE, DELETE and TRUNCATE of a table, whoever sends them.
    `update_condition` and `update_allowed`: where a kind of update is let through (no_update)."""
    return [
        no_update(prefix, update_condition, update_allowed),
        no_delete(prefix),
        no_truncate(prefix),
    ]


# pgtrigger's installation states (its documented markers, as `manage.py pgtrigger ls` shows).
INSTALLED = "INSTALLED"
STATE_WORDS = {
    "UNINSTALLED": "未安装",
    "OUTDATED": "与代码不符，须运行 migrate",
    "UNALLOWED": "不在本数据库",
}


@dataclasses.dataclass
class TriggerState:
    applies: bool  # False where the database has no triggers (SQLite)
    total: int
    faults: list[str]  # each trigger not installed as declared and enabled, with why

    @property
    def ok(self) -> bool:
        # Without triggers (SQLite) only a development machine is well: in production nothing
        # keeps the audit trail append-only (portal.W009 says so before it opens).
        return not self.faults and (self.applies or settings.DEBUG)

    @property
    def message(self) -> str:
        if not self.applies:
            if not settings.DEBUG:
                return (
                    "当前数据库不是 PostgreSQL，没有保护触发器，审计记录可被改写，不能用于生产环境"
                )
            return "当前数据库不是 PostgreSQL，没有保护触发器（仅开发环境）"
        if self.ok:
            return f"{self.total}个保护触发器均已安装并启用"
        return (
            f"{self.total}个保护触发器中{len(self.faults)}个未安装或已停用，"
            f"记录可被改写：{'；'.join(self.faults)}"
        )


def trigger_state(database: str = "default") -> TriggerState:
    """Every trigger the models declare (pgtrigger.registered), each checked in the database:
    installed as declared (the hash pgtrigger keeps in its comment) and enabled."""
    if connections[database].vendor != "postgresql":
        return TriggerState(applies=False, total=0, faults=[])
    registered = pgtrigger.registered()
    faults = []
    for model, trigger in registered:
        status, enabled = trigger.get_installation_status(model, database=database)
        if status == INSTALLED and enabled:
            continue
        why = [] if status == INSTALLED else [STATE_WORDS.get(status, status)]
        if enabled is False:  # None: not installed at all
            why.append("已停用")
        faults.append(f"{trigger.get_uri(model)}（表 {model._meta.db_table}，{'，'.join(why)}）")
    return TriggerState(applies=True, total=len(registered), faults=faults)

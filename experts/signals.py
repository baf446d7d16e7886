"""What experts tells other apps, without importing them: changes listens (changes.receivers).

Django's signals are synchronous: a receiver runs in the sender's transaction, so what it
writes commits or rolls back with the step that caused it.
"""

from django.dispatch import Signal

# An admitted expert's application has just left 审核通过 by any step (experts.services._fire),
# in that step's transaction, the application locked: 申请退出 (by the expert), 冻结 (by the
# daily command), 出库（清退） or 撤销入库 (by a reviewer). Arguments: application; actor, None
# for the system; action, the transition's name (request_exit, freeze, remove, revoke).
left_pool = Signal()

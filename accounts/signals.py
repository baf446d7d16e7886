"""What accounts tells other apps, without importing them: experts listens (experts.receivers).

Django's signals are synchronous: a receiver runs in the sender's transaction, so what it
writes commits or rolls back with the account change that caused it, and an exception it
raises reaches the sender.
"""

from django.dispatch import Signal

# A person registered as an applicant, in register_individual's transaction. Arguments: user.
applicant_registered = Signal()

# A unit's details were saved (by the unit itself or in admin). Arguments: unit, changed_fields.
unit_changed = Signal()

# An account's details were saved in admin. Arguments: user, changed_fields.
account_changed = Signal()

# The daily `housekeeping` deletes what has outlived its keeping. Arguments: now. A receiver
# deletes its app's rows and returns a list of (what, days, count) for the command's report and
# its audit event, e.g. [("导出任务", 90, 3)] (days None: deleted whatever their age); it
# returns [] when its setting keeps them for good, or when it deleted nothing of that kind.
housekeeping = Signal()

# A form is about to move an applicant to another unit. Arguments: user, unit. A receiver
# refuses the move by raising django.core.exceptions.ValidationError with the reason.
applicant_moving = Signal()

# A form is about to change an applicant's 姓名 or 证件类型 (`fields`, their names). Arguments:
# user, fields. A receiver refuses by raising django.core.exceptions.ValidationError.
applicant_identity_changing = Signal()

# An operator asks to see an account's whole personal numbers (admin's 查看完整信息). Arguments:
# user. A receiver returns why the 证件号码 may not be shown ('' when it may): experts, once the
# person's consent to processing it is withdrawn.
id_number_refusal = Signal()

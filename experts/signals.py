"""What experts tells other apps, without importing them: changes listens (changes.receivers).

Django's signals are synchronous: a receiver runs in the sender's transaction, so what it
writes commits or rolls back with the step that caused it.
"""

from django.dispatch import Signal

# An admitted expert asked to leave the pool (申请退出, or their consent withdrawn), in
# request_exit's transaction, the application locked. Arguments: application, actor.
exit_requested = Signal()

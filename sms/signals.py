"""What the sms app tells the apps above it, which it does not import (it is a leaf app)."""

from django.dispatch import Signal

# An operator marked outbox messages as sent without sending them (restored_outbox, after a
# database restore: they had gone out before the dump's copy of them was made). Sent inside
# the marking's transaction with `messages` (the SMSMessage rows, already saved), `was` (each
# one's status label before, by id) and `command` (who acted); audit records it there, so a
# rollback takes the record with the change.
marked_sent = Signal()

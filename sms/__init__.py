"""SMS sending: the outbox (`sms.outbox`), its backends (`sms.backends`) and the worker
(`manage.py send_queued_sms`). Other apps queue messages; this app imports none of them."""

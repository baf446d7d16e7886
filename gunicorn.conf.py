"""gunicorn's settings for the portal, read from the working directory at start (gunicorn's
default config file, ./gunicorn.conf.py), wherever it runs: the image, compose, systemd.

The access log leaves out the query string and the Referer: a search typed into a list
(专家库, admin's changelists) by ID number or mobile travels in the URL, and the log would keep
the number in plain text beside the address that asked, outside the audit trail's masking
(docs/security.md). The path, method, status, size, time and user agent remain."""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'

# gunicorn 25.1 and later open a control socket for `gunicornc` under $XDG_RUNTIME_DIR or
# $HOME/.gunicorn/. The portal does not use it, and a host install's portal user has a home
# (/srv/portal) it may not write to: every start logged "Control server error". Earlier
# gunicorns skip a setting they do not know in this file.
control_socket_disable = True

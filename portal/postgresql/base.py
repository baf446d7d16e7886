"""Django's PostgreSQL backend, with prepared statements for every query but a search.

With `server_side_binding` and a `prepare_threshold` (portal/settings.py), psycopg prepares a
query once a connection has run it five times, and PostgreSQL plans it once: planning cost it
more than running most of our queries did (docs/performance.md). After five runs PostgreSQL
may settle on one generic plan for all parameters. For a LIKE pattern that is the wrong bet:
how many rows a term matches decides the plan, and a generic one made the 张伟 search 40 %
slower and a 光电 search in one status 60 % slower. So a query with a LIKE is never prepared,
and is planned for its own term each time."""

from django.db.backends.postgresql import base
from psycopg import errors, pq


class ServerBindingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and isinstance(query, str) and " LIKE " in query:
            prepare = False
        try:
            return super().execute(query, params, prepare=prepare, binary=binary)
        except errors.FeatureNotSupported as error:
            # A migration changed the type of a column a prepared statement returns (this node
            # still serving while the next release migrates): PostgreSQL refuses it from now
            # on. Inside a transaction the error has ended it, and the rollback makes psycopg
            # forget its prepared statements; outside one, DEALLOCATE ALL does, and the query
            # runs again.
            if "cached plan must not change result type" not in str(error) or (
                self.connection.info.transaction_status != pq.TransactionStatus.IDLE
            ):
                raise
            super().execute("DEALLOCATE ALL")
            return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params["cursor_factory"] is base.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params

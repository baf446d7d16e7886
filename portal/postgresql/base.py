"""Django's PostgreSQL backend, with prepared statements for every query but a search.

With `server_side_binding` and a `prepare_threshold` (portal/settings.py), psycopg prepares a
query once a connection has run it five times, and PostgreSQL plans it once: planning cost it
more than running most of our queries did (docs/performance.md). After five runs PostgreSQL
may settle on one generic plan for all parameters. For a LIKE pattern that is the wrong bet:
how many rows a term matches decides the plan, and a generic one made the 张伟 search 40 %
slower and a 光电 search in one status 60 % slower. So a query with a LIKE is never prepared,
and is planned for its own term each time: its values are written into its SQL as literals
(psycopg's client-side binding, Django's own default), leaving PostgreSQL no parameter to plan
generically even for the one run.

Every other prepared query is planned once: PostgreSQL's own rule keeps planning a prepared
query afresh while its generic plan looks costlier than the plans for actual values, and a
list page's `status = $1 … ORDER BY … LIMIT 25` always looks so (a generic status is assumed
rarer than 'approved', so 25 rows seem further away), though both plans walk the same index.
专家库's page query was planned on every request: 0.5 ms of the database's time, 1.0 ms of
wall time where 0.45 would do. So prepared statements take the generic plan
(`plan_cache_mode`), on connections that prepare them (DATABASE_PREPARE_THRESHOLD). The
setting covers every query sent with parameters, prepared or not, which is why a search
carries none. A common term's walk along a list's order (experts.search.matching) looks for
its term with STRPOS, not LIKE, and is prepared like any other query: its plan is that order's
index whatever the term."""

from django.db.backends.postgresql import base
from psycopg import ClientCursor, errors, pq


class ServerBindingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and isinstance(query, str) and " LIKE " in query:
            if params:
                with ClientCursor(self.connection) as client:
                    query, params = client.mogrify(query, params), None
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
    def _configure_connection(self, connection):
        commit = super()._configure_connection(connection)
        if self.settings_dict["OPTIONS"].get("prepare_threshold") is None:
            return commit
        with connection.cursor() as cursor:
            # Session state: behind PgBouncer in transaction mode it would stay with whichever
            # server connection ran it (docs/deployment.md: set it on the role there instead).
            cursor.execute("SET plan_cache_mode = force_generic_plan")
        return True  # as Django's own settings: committed if autocommit is off

    def get_connection_params(self):
        params = super().get_connection_params()
        if params["cursor_factory"] is base.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params

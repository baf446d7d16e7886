import json
import os
import time

from django.db import connection

# Where the search mix's server times go (bench/run.py sets it; unset, nothing is written).
SEARCH_LOG = os.environ.get("BENCH_SEARCH_LOG", "")
MIX_HEADER = "X-Bench-Mix"


class QueryCountMiddleware:
    """Says in an X-Bench-Queries header how many SQL queries the response took, and for each
    request of the search mix (marked by an X-Bench-Mix header) writes one JSON line to
    SEARCH_LOG: the term, the server time and the queries.

    The time runs from this middleware, the outermost, being called to its having the
    response: the whole of Django's work for the page, without the time the request waited for
    a worker, gunicorn's parsing, or sending the page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.log = None

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        took = time.perf_counter() - started
        response["X-Bench-Queries"] = str(queries)
        if SEARCH_LOG and MIX_HEADER in request.headers:
            self.write(request.GET.get("q", ""), took, queries)
        return response

    def write(self, term: str, took: float, queries: int) -> None:
        if self.log is None:
            # Each worker appends whole lines with one write each, so that two workers' lines
            # never mix.
            self.log = os.open(SEARCH_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        line = json.dumps({"term": term, "ms": took * 1000, "queries": queries})
        os.write(self.log, (line + "\n").encode())

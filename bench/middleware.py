from django.db import connection


class QueryCountMiddleware:
    """Says in an X-Bench-Queries header how many SQL queries the response took."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(queries)
        return response

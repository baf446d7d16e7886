"""The project uses only the public APIs of Django and its libraries (issue 17).

A name that starts with `_` is private to whoever defined it; an upgrade may change it without
notice. This test reads the project's own Python (migrations aside) with `ast`, so strings and
comments do not count, and fails on:

- an attribute read or written through a private name, `x._name` (`_meta`, Django's documented
  model API, and dunders such as `__name__` excepted), which includes `super()._name`;
- of `_meta`, anything but the documented Options API (`get_field`, `get_fields`) and the
  documented Meta options and names (ALLOWED_META);
- `x.query.y`: a queryset's `query` is the ORM's internal Query (`QuerySet.explain` shows a plan);
- `getattr`/`setattr`/`hasattr`/`delattr` with a private name;
- a method with a private name, `def _name` in a class body: an override of a library's private
  method or a private method of our own that others would reach with `x._name`.

Module-level `_helpers` are fine: they are private to their module, and reaching them from
elsewhere is caught as `module._helper`.
"""

import ast
from pathlib import Path

from tests.test_import_graph import PACKAGES as IMPORT_GRAPH_PACKAGES

ROOT = Path(__file__).resolve().parent.parent
# Every app the import graph knows, and the benchmark and the tests.
PACKAGES = [*IMPORT_GRAPH_PACKAGES, "bench", "tests"]
ALLOWED_ATTRIBUTES = {"_meta"}
ALLOWED_META = {
    "get_field",
    "get_fields",
    "app_label",
    "db_table",
    "label",
    "label_lower",
    "model_name",
    "object_name",
    "verbose_name",
    "verbose_name_plural",
}
NAME_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_names(source: str) -> list[tuple[int, str]]:
    """(line, description) of each private name the source uses."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr == "_meta":
                if node.attr not in ALLOWED_META:
                    found.append((node.lineno, f"{ast.unparse(node)}"))
            elif isinstance(inner, ast.Attribute) and inner.attr == "query":
                found.append((node.lineno, f"{ast.unparse(node)}"))
            if is_private(node.attr) and node.attr not in ALLOWED_ATTRIBUTES:
                value = node.value
                is_super = (
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and value.func.id == "super"
                )
                owner = "super()" if is_super else ast.unparse(value)
                found.append((node.lineno, f"{owner}.{node.attr}"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in NAME_FUNCTIONS and len(node.args) >= 2:
                name = node.args[1]
                if (
                    isinstance(name, ast.Constant)
                    and isinstance(name.value, str)
                    and is_private(name.value)
                    and name.value not in ALLOWED_ATTRIBUTES
                ):
                    found.append((node.lineno, f'{func.id}(…, "{name.value}")'))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and is_private(
                    item.name
                ):
                    found.append((item.lineno, f"def {node.name}.{item.name}"))
    return sorted(found)


def project_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                files.append(path)
    return files


def test_the_project_uses_no_private_names():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in project_files()
        for line, what in private_names(path.read_text(encoding="utf-8"))
    ]
    print("\n".join(offenders))
    assert not offenders, f"{len(offenders)} private names:\n" + "\n".join(offenders)


def test_the_scan_finds_each_kind_and_ignores_strings_and_comments():
    planted = """
import django_otp.middleware


class Middleware(django_otp.middleware.OTPMiddleware):
    def _verify_user_sync(self, request, user):  # _comment._ignored
        device = getattr(user, "_totp_device", None)
        user._cached = True
        return super()._verify_user_sync(request, user) or "x._in_a_string"

    def __call__(self, request):
        fields = self._meta.get_fields(), self._meta.concrete_fields
        return type(self).__name__, self._meta, request._meta, fields, qs.query.sql_with_params()


def _module_helper():
    return _module_helper.__doc__
"""
    assert private_names(planted) == [
        (6, "def Middleware._verify_user_sync"),
        (7, 'getattr(…, "_totp_device")'),
        (8, "user._cached"),
        (9, "super()._verify_user_sync"),
        (12, "self._meta.concrete_fields"),
        (13, "qs.query.sql_with_params"),
    ]


def test_the_scan_reads_the_project_and_not_migrations():
    files = {str(path.relative_to(ROOT)) for path in project_files()}
    assert "accounts/models.py" in files and "tests/test_public_apis.py" in files
    assert not any("/migrations/" in name for name in files)

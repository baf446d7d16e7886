"""Load-test the portal at a city's size and compare it with three references.

`bash bench/run` (see the README) seeds PostgreSQL with seed_scale, serves the portal under
gunicorn on 127.0.0.1 as in production (DEBUG off, 2 workers, behind a TLS proxy), logs in
as each role through the real login and two-factor pages, and drives each page with wrk
for a fixed time. 专家库's search is driven on a mix of terms (bench/search_terms.py, drawn by
bench/mix.lua), and bench/middleware.py logs each of its requests' server time, for a table
per term. It prints the tables and writes them to docs/benchmarks.md.
"""

import argparse
import datetime
import http.client
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST, PORT = "127.0.0.1", 8123

# The machine: "a bare 25-row Django list served about 600 requests/s".
REFERENCE_RAW_RPS = 600
ADMIN_CHANGELIST = "/bench/admin/experts/expertapplication/"
POOL = "/bureau/pool/"
# (label, role, path, reference kind): every page the issue names, and the three references.
# The search's path is the mix's first term: the mix's load draws a term for each request.
PAGES = [
    ("/healthz（框架底线）", None, "/healthz", "ref_healthz"),
    ("原始列表（一次查询）", "reviewer", "/bench/raw/", "ref_raw"),
    ("Django admin 列表", "operator", ADMIN_CHANGELIST, "ref_admin"),
    ("Django admin 搜索", "operator", ADMIN_CHANGELIST + "?q=张伟", "ref_admin_search"),
    ("用户账号管理（最大单位）", "unit", "/unit/people/", "list"),
    ("专家审核", "reviewer", "/bureau/experts/", "list"),
    ("单位注册审核", "reviewer", "/bureau/units/", "list"),
    ("专家库", "reviewer", POOL, "list"),
    ("专家库 搜索（混合）", "reviewer", POOL + "?q={first_term}", "search"),
    # Issue 22: the pool with its facet counts, filtered by a field (with its sub-fields) and
    # a 职称级别 (电子信息 and 正高级); the unfiltered row above shows the whole pool's counts.
    ("专家库 分面筛选", "reviewer", POOL + "?discipline={field_pk}&title_level=senior", "list"),
    ("专家详情", "reviewer", "/bureau/experts/{detail_pk}/", "detail"),
    ("申请人首页", "applicant", "/expert/", "home"),
    # Anonymous and cached (notice.selectors); the seeded decisions are weeks old, so the seeded
    # list is empty: bench/notice.py times it with a week of approvals.
    ("专家入库公示", None, "/notice/", "public"),
    ("信息变更审核", "reviewer", "/bureau/changes/?status=all", "list"),
    ("信息变更待确认（最大单位）", "unit", "/unit/changes/?status=all", "list"),
    # Issue 22: its target is the median under 300 ms (for one client; wrk's 16 are harder).
    ("统计分析", "reviewer", "/bureau/statistics/", "stats"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="load time per page and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all pages (median)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench"
        ),
    )
    parser.add_argument(
        "--only",
        default="",
        help="only the pages whose label holds this text, with the reference rows (compare a "
        "change quickly; write the report elsewhere with --output)",
    )
    parser.add_argument("--reseed", action="store_true", help="drop and seed again")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("需要 wrk（Debian/Ubuntu：apt-get install -y wrk）。")

    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=",
        "FIELD_HMAC_KEY": "bench-only-hmac-key",
        "ALLOWED_HOSTS": HOST,
        "BEHIND_TLS_PROXY": "true",
        "BENCH_SEARCH_LOG": str(workdir / "search.jsonl"),
        "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        # wrk loads each page from one address: measure the 公示 page, not its 429.
        "PUBLIC_NOTICE_RATE_LIMIT": "1000000000",
    }
    seed(args, env)
    # seed_scale makes the change requests (信息变更) a bureau has after a few years; on a
    # database seeded before it did, 20,000 are added: the pages that count or list them
    # (专家审核, 用户账号管理, 信息变更审核 …) are measured with them.
    django({**env, "BENCH_DATABASE_URL": args.database_url}, "bench/changes.py", "--seed-only")
    people = json.loads(django(env, "-m", "bench.accounts", capture=True))
    terms = people["search_mix"]
    mix_paths = workdir / "mix-paths.txt"
    mix_paths.write_text("".join(quote(POOL + "?q=" + term) + "\n" for _, term in terms))
    psql(args.database_url, "VACUUM ANALYZE")
    django(env, "manage.py", "collectstatic", "--noinput", "-v0")

    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "portal.wsgi",
            f"--bind={HOST}:{PORT}",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            "--access-logfile=-" if os.environ.get("BENCH_ACCESS_LOG") else "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up()
        sessions = {role: log_in(role, people) for role in ("reviewer", "operator", "unit")}
        sessions["applicant"] = log_in("applicant", people)
        pages = []
        for label, role, path, kind in PAGES:
            if args.only not in label and not kind.startswith("ref_"):
                continue
            path = path.format(
                detail_pk=people["detail_pk"], first_term=terms[0][1], field_pk=people["field_pk"]
            )
            cookie = sessions.get(role, "")
            probe(path, cookie)  # the first request fills what the page caches
            status, queries = probe(path, cookie)
            if status != 200:
                sys.exit(f"{label} {path} answered {status}, not 200: check the log above.")
            pages.append(
                {
                    "label": label,
                    "path": path,
                    "kind": kind,
                    "queries": str(queries),
                    "cookie": cookie,
                    "mix": mix_paths if kind == "search" else None,
                }
            )
        speed = [cpu_probe()]
        # Whole rounds, one page after another, so that a slow spell of the machine touches
        # every page alike; each figure is then the median of the rounds.
        runs = {page["path"]: [] for page in pages}
        for round_ in range(1, args.rounds + 1):
            for page in pages:
                wait_until_idle()
                figures = load(
                    page["path"], page["cookie"], args.seconds, args.connections, page["mix"]
                )
                runs[page["path"]].append(figures)
                print(
                    f"[{round_}/{args.rounds}] {page['label']:<24} {figures['rps']:8.1f} req/s  "
                    f"p95 {figures['p95']:6.1f} ms  errors {figures['errors']}  "
                    f"queries {page['queries']}",
                    flush=True,
                )
        speed.append(cpu_probe())
        results = [{**page, **median_of(runs[page["path"]])} for page in pages]
        memory = worker_peak_memory(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    per_term = search_times(workdir / "search.jsonl", terms)
    shutil.rmtree(workdir, ignore_errors=True)
    for result in results:
        if result["kind"] == "search":
            # The mix's SQL per request, from every term's requests.
            counts = sorted({q for row in per_term for q in row["queries"]})
            if counts:
                low, high = counts[0], counts[-1]
                result["queries"] = str(low) if low == high else f"{low}–{high}"

    report = render(results, memory, args, people, speed, per_term)
    Path(args.output).write_text(report, encoding="utf-8")
    print()
    print(report)


def seed(args, env) -> None:
    """Seed once; later runs reuse the data unless --reseed (or it is not the size asked)."""
    name = urllib.parse.urlparse(args.database_url).path.lstrip("/")
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        sys.exit(f"数据库名只能含字母、数字和下划线：{name}")
    if not psql(admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        psql(admin_url, f'CREATE DATABASE "{name}"')
    django(env, "manage.py", "migrate", "-v0")
    have = psql(
        args.database_url,
        "SELECT count(*) FROM accounts_user WHERE kind = 'applicant'",
    )
    if args.reseed or int(have or 0) != args.experts:
        print(f"Seeding {args.units} units and {args.experts} applicants …", flush=True)
        psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        psql(admin_url, f'CREATE DATABASE "{name}"')
        django(env, "manage.py", "migrate", "-v0")
        # seed_scale refuses values bound on the server (it needs pgtrigger.ignore): it seeds
        # without DATABASE_PREPARE_THRESHOLD, which the portal measured may then have.
        seed_env = {k: v for k, v in env.items() if k != "DATABASE_PREPARE_THRESHOLD"}
        django(
            seed_env,
            "manage.py",
            "seed_scale",
            "--force",
            f"--units={args.units}",
            f"--experts={args.experts}",
        )


def django(env, *argv, capture=False) -> str:
    result = subprocess.run(
        [PYTHON, *argv], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def psql(url: str, sql: str) -> str:
    result = subprocess.run(["psql", url, "-Atqc", sql], check=True, text=True, capture_output=True)
    return result.stdout.strip()


def request(method, path, cookie="", body=None, headers=None):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    all_headers = {
        # As a TLS-terminating proxy would send them.
        "X-Forwarded-Proto": "https",
        "Origin": f"https://{HOST}:{PORT}",
        "Cookie": cookie,
        **(headers or {}),
    }
    connection.request(method, quote(path), body=body, headers=all_headers)
    response = connection.getresponse()
    content = response.read().decode("utf-8", "replace")
    connection.close()
    return response, content


def quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/?=&")


def wait_until_up() -> None:
    for _ in range(100):
        try:
            if request("GET", "/healthz")[0].status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not start")


def wait_until_idle() -> None:
    """Let the server finish what the last page's clients left queued (a slow page leaves up
    to 16 requests of a second each), so that it is not counted against the next page."""
    quick = 0
    deadline = time.monotonic() + 60
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        request("GET", "/healthz")
        quick = quick + 1 if time.monotonic() - started < 0.02 else 0
        time.sleep(0.1)


def cookies_of(response, jar: dict) -> dict:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name] = rest.split(";", 1)[0]
    # A "logged in" notice waiting in the messages cookie would show on every measured page.
    jar.pop("messages", None)
    return jar


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def post_form(path, jar, fields) -> tuple:
    response, page = request("GET", path, cookie_header(jar))
    cookies_of(response, jar)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields})
    response, page = request(
        "POST",
        path,
        cookie_header(jar),
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    cookies_of(response, jar)
    return response, page


def log_in(role: str, people: dict) -> str:
    """Through the login page and, for reviewers and operators, the two-factor page."""
    from django_otp.oath import totp

    jar: dict = {}
    who = people[role]
    response, _ = post_form(
        "/login/", jar, {"username": who["username"], "password": people["password"]}
    )
    if response.status != 302:
        sys.exit(f"{role} could not log in ({response.status})")
    if "totp" in who:
        code = f"{totp(bytes.fromhex(who['totp'])):06d}"
        response, _ = post_form("/two-factor/", jar, {"code": code})
        if response.status != 302:
            sys.exit(f"{role}: two-factor step failed ({response.status})")
    return cookie_header(jar)


def median_of(runs: list[dict]) -> dict:
    middle = {
        key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p95", "p99")
    }
    return {**middle, "errors": sum(run["errors"] for run in runs)}


def probe(path: str, cookie: str) -> tuple[int, int]:
    response, _ = request("GET", path, cookie)
    return response.status, int(response.getheader("X-Bench-Queries", "0"))


def load(path: str, cookie: str, seconds: int, connections: int, mix: Path | None) -> dict:
    """wrk on `path`, or with `mix` (a file of paths) on a path drawn for each request."""
    command = [
        "wrk",
        f"--threads={min(2, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={ROOT / 'bench' / ('mix.lua' if mix else 'report.lua')}",
        "--header=X-Forwarded-Proto: https",
    ]
    if cookie:
        command.append(f"--header=Cookie: {cookie}")
    if mix:
        command.append("--header=X-Bench-Mix: 1")
    command.append(f"http://{HOST}:{PORT}{quote(path)}")
    if mix:
        command += ["--", str(mix)]
    # mix.lua loads report.lua by its path from the project's root.
    output = subprocess.run(command, cwd=ROOT, check=True, text=True, capture_output=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return {
        "rps": figures["requests"] / figures["seconds"],
        "p50": figures["p50"],
        "p95": figures["p95"],
        "p99": figures["p99"],
        "errors": figures["not_200"] + figures["socket_errors"],
    }


def search_times(log: Path, terms: list) -> list[dict]:
    """Per term of the mix, from bench/middleware.py's log of every round: its requests, the
    median and 95th percentile of their server time (ms), the SQL queries they took; in the
    mix's order."""
    times = {term: [] for _, term in terms}
    queries = {term: set() for _, term in terms}
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for line in lines:
        entry = json.loads(line)
        times[entry["term"]].append(entry["ms"])
        queries[entry["term"]].add(entry["queries"])
    return [
        {
            "term": term,
            "kind": kind,
            "n": len(times[term]),
            "p50": percentile(times[term], 50),
            "p95": percentile(times[term], 95),
            "queries": queries[term],
        }
        for kind, term in terms
    ]


def percentile(values: list[float], share: int) -> float:
    """The nearest-rank percentile (0 for no values)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(len(ordered) * share / 100) - 1, 0)] if ordered else 0.0


def cpu_probe() -> float:
    """Milliseconds this machine takes for a fixed piece of pure Python (best of three): a
    shared machine can run at half its speed for minutes, and the figures with it."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def worker_peak_memory(master_pid: int) -> list[float]:
    """Peak resident memory (VmHWM) of each gunicorn worker, in MB."""
    peaks = []
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def render(results, memory, args, people, speed, per_term) -> str:
    by_kind = {r["kind"]: r for r in results}
    healthz, raw = by_kind["ref_healthz"], by_kind["ref_raw"]
    admin, admin_search = by_kind["ref_admin"], by_kind["ref_admin_search"]
    checks = []
    rows = []
    for r in results:
        vs_raw = r["rps"] / raw["rps"]
        vs_admin = r["rps"] / (admin_search if r["kind"] == "search" else admin)["rps"]
        vs_healthz = r["rps"] / healthz["rps"]
        rows.append(
            f"| {r['label']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {r['errors']} | {r['queries']} | {vs_healthz:.0%} | "
            f"{vs_raw:.0%} | {vs_admin:.1f}× |"
        )
        if r["kind"] == "list":
            checks.append((f"{r['label']} ≥ 50% 原始列表", vs_raw >= 0.5, f"{vs_raw:.0%}"))
        if r["kind"] in ("list", "detail"):
            checks.append((f"{r['label']} ≥ 5× admin 列表", vs_admin >= 5, f"{vs_admin:.1f}×"))
        if r["kind"] == "search":
            checks.append((f"{r['label']} ≥ 10× admin 搜索", vs_admin >= 10, f"{vs_admin:.1f}×"))
        if r["kind"] == "home":
            checks.append((f"{r['label']} ≥ 25% /healthz", vs_healthz >= 0.25, f"{vs_healthz:.0%}"))
        if r["kind"] == "stats":
            checks.append((f"{r['label']} p50 < 300 ms", r["p50"] < 300, f"{r['p50']:.1f} ms"))
            checks.append((f"{r['label']} 无错误", r["errors"] == 0, str(r["errors"])))
        elif not r["kind"].startswith("ref_"):
            limit = 50 if r["kind"] == "home" else 80
            checks.append(
                (f"{r['label']} p95 < {limit} ms", r["p95"] < limit, f"{r['p95']:.1f} ms")
            )
            checks.append((f"{r['label']} 无错误", r["errors"] == 0, str(r["errors"])))
    peak = max(memory) if memory else 0.0
    checks.append(("每个 worker 峰值内存 ≤ 200 MB", peak <= 200, f"{peak:.0f} MB"))
    kinds = {}
    for row in per_term:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    # Slowest first; a term no request drew (a short run) last.
    per_term = sorted(per_term, key=lambda row: (row["n"] == 0, -row["p95"]))
    slowest = per_term[0] if per_term and per_term[0]["n"] else None
    missed = [c for c in checks if not c[1]]
    # The search mix's own section, when it was measured (not with --only another page).
    search_lines = [
        f"专家库's search is measured on a mix of {len(per_term)} terms "
        f"({', '.join(f'{kind} {n}' for kind, n in kinds.items())}; bench/search_terms.py): "
        "each request draws one, every term alike, from a fixed seed per wrk thread "
        "(bench/mix.lua). Its row is wrk's, like every other row: the time from sending a "
        "request to its answer, waiting for a free worker included.",
        "",
        "### 专家库 search, per term",
        "",
        "Server time: from the outermost middleware (bench/middleware.py) being called to its "
        "having the response, for every request of the mix in every round, while the mix ran "
        "at its full load; the time a request waited for a worker, gunicorn's parsing and the "
        "sending of the page are not in it, so these are lower than the row above. Slowest "
        "first"
        + (
            f"; the slowest term's p95 is {slowest['p95']:.1f} ms ({slowest['term']}, "
            f"{slowest['kind']})."
            if slowest
            else "."
        ),
        "",
        "| 词 | 类 | n | p50 ms | p95 ms | SQL/请求 |",
        "|---|---|---:|---:|---:|---:|",
        *(
            f"| {row['term']} | {row['kind']} | {row['n']} | {row['p50']:.1f} | "
            f"{row['p95']:.1f} | {'/'.join(map(str, sorted(row['queries'])))} |"
            if row["n"]
            else f"| {row['term']} | {row['kind']} | 0 | – | – | – |"
            for row in per_term
        ),
        "",
    ]
    if not any(r["kind"] == "search" for r in results):
        search_lines = []
    lines = [
        "# 性能基准 (benchmarks)",
        "",
        "Written by `bash bench/run` (bench/run.py); rerun it to refresh this page.",
        "",
        f"- Date: {datetime.date.today().isoformat()}",
        f"- Machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().machine}",
        f"- Data: {args.units:,} units, {args.experts:,} applicants "
        f"(the unit measured has {people['unit']['people']:,} people), shaped as a bureau's "
        "years leave them (`seed_scale`, docs/performance.md): admissions over four years, "
        "one submitted form in eight returned with reasons and field comments and submitted "
        "again (with the snapshots its comparison reads), drafts still returned, about one "
        "waiting item in seven past its due date on the day of the seed, 年度确认 at every "
        "stage, 信息变更 requests in every state, an audit row for every step and an SMS for "
        "every decision (one in 60 refused by the provider)",
        f"- Server: gunicorn, {args.workers} sync workers, DEBUG off, PostgreSQL on the same "
        "machine",
        f"- Load: wrk on the same machine, {args.connections} connections, {args.seconds} s per "
        f"page, {args.rounds} rounds over all pages, the server idle before each page; each "
        "figure is the median of the rounds (errors are summed)",
        "",
        "| 页面 | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/请求 | vs /healthz | "
        "vs 原始列表 | vs admin |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "“vs admin” compares searches with the admin's search and every other page with the "
        "admin changelist. Errors are answers other than 200 plus socket errors.",
        "",
        *search_lines,
        f"The machine's speed: the issue's targets are set for a machine on which a bare "
        f"25-row list serves about {REFERENCE_RAW_RPS} requests/s; here the raw list served "
        f"{raw['rps']:.0f} ({raw['rps'] / REFERENCE_RAW_RPS:.0%} of that). A fixed piece of "
        f"pure Python (`cpu_probe`) took {speed[0]:.0f} ms before the rounds and "
        f"{speed[1]:.0f} ms after them.",
        "",
        f"Peak memory per worker (VmHWM): {', '.join(f'{m:.0f} MB' for m in memory)}.",
        "",
        "## Targets",
        "",
        "| 目标 | 结果 | 实测 |",
        "|---|---|---:|",
        *(f"| {name} | {'达标' if ok else '未达标'} | {figure} |" for name, ok, figure in checks),
        "",
        f"{len(checks) - len(missed)} of {len(checks)} targets met.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

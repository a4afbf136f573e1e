"""The HTTP benchmark (issue 12): the app as production runs it, 20 people at once, on a million postings.

    python -m bench http [--scale 0.01] [--seconds 10] [--clients 20] [--base DIR] [--rebuild]

1. Builds (once; kept between runs) a PostgreSQL database, ``bench_http`` by default: about 1,000,000 postings
   over ~3,000 accounts bulk-loaded by COPY (``bench_books``' loader: balanced entries, indexes built after,
   id sequences reset), the demo's year of participants, claims and payment runs on top, and 500 fee claims
   waiting for approval (each with its benefit check), 100 of them the demo participant's. ``--scale``
   shrinks the postings (and the queue) for development; a database built at another scale is rebuilt.
2. Starts gunicorn with the repository's ``gunicorn.conf.py`` (its workers: cores + 1 unless GUNICORN_WORKERS says) on
   this code and, with ``--base DIR`` (a checkout of the code before), the same way on that code, against the
   same data, and measures both in one run, side by side. When the code before has an older schema, it runs on
   a copy of the database (``<name>_before``, made from it as a template) migrated down to that code's head with
   this code's migrations: the same rows, in the tables that code knows (the read indexes of migration 0020,
   which came with this work, go with the downgrade).
3. For each endpoint: one client alone (the median of sequential requests), then ``--clients``
   connections for ``--seconds``: requests a second, p50 / p95 / p99. The load comes from wrk (Debian's
   package, which ``make bench`` installs; ``--load python`` or no wrk: threads with ``http.client``, whose
   interpreter lock adds its own waits to the times it takes). The SQL
   statements one request runs are counted in a process of their own (a SQLAlchemy event listener on the
   app's engine, the same for both codes). The load generator shares the 2 cores with the server: its own
   CPU time per request is printed, so that what it costs is known.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import bench_books

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_http"
QUEUE_PARTICIPANTS = 200  # two waiting claims each; the demo participant has 100 more
OWN_CLAIMS = 100
FINANCE = ("finance@demo.example", "demo-finance-2026")
PARTICIPANT = ("participant@demo.example", "demo-participant-2026")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ------------------------------------------------------------------ the database, built once


def _meta(url: str) -> dict[str, str]:
    """What the kept database was built with, or nothing when there is none (or it is unfinished)."""
    engine = create_engine(make_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT key, value FROM bench_http_meta")).all()
        return dict(rows)  # type: ignore[arg-type]
    except Exception:  # no database or no table yet: build it
        return {}
    finally:
        engine.dispose()


def build(url: str, scale: float) -> None:
    """Postings by COPY, then the demo year and the waiting claims through the services, then statistics."""
    started = time.perf_counter()
    bench_books.PARTICIPANTS = 1450  # about 3,000 accounts with the demo's own
    backend = bench_books.fresh_postgresql(url, keep=True)
    bench_books.open_chart(backend)
    loaded = bench_books.bulk_load(backend, max(10_000, round(1_000_000 * scale)))
    log(f"bulk load: {loaded.postings:,} postings in {loaded.entries:,} entries in {loaded.seconds:.1f} s")
    backend.cleanup()
    _run_in_app(ROOT, url, _SEED_SCRIPT, str(max(10, round(QUEUE_PARTICIPANTS * min(1.0, scale * 10)))))
    engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
        connection.execute(text("INSERT INTO bench_http_meta VALUES ('scale', :s), ('built_seconds', :t)"),
                           {"s": str(scale), "t": f"{time.perf_counter() - started:.0f}"})
    engine.dispose()
    log(f"database built in {time.perf_counter() - started:.0f} s")


# Runs inside the app (this code): the demo year, the waiting claims, a token; written to bench_http_meta.
_SEED_SCRIPT = textwrap.dedent('''
    import datetime as dt, json, sys
    from sqlalchemy import text
    from ledger import demo
    from ledger.auth import users
    from ledger.claims import services as claims
    from ledger.context import get_session, settings, todays_date
    from ledger.people import services as people
    from ledger.projects import services as projects
    from ledger.auth.models import User

    session = get_session()
    today, configured = todays_date(), settings()
    demo.load_demo(session, today=today, rulebook=configured.rulebook, policy=configured.policy,
                   cipher=configured.bank_cipher)
    session.commit()
    finance = session.query(User).filter_by(email="finance@demo.example").one()
    manager = session.query(User).filter_by(email="manager@demo.example").one()
    own = session.query(User).filter_by(email="participant@demo.example").one().participant_id
    rules = configured.claim_rules
    projects.create_project(session, code="BENCHQ", name="Benchmark: claims waiting", cost_centre="BQ01",
                            budget_pence=90_000_000, starts_on=today - dt.timedelta(days=200),
                            project_manager_user_id=manager.id)
    days = [today - dt.timedelta(days=d) for d in range(1, 200) if (today - dt.timedelta(days=d)).weekday() < 5]
    activities = [projects.schedule_activity(
        session, "BENCHQ", kind="advisory_meeting", occurs_on=day, duration_minutes=120, preparation_minutes=30,
        region="london", title=f"Benchmark meeting {day}", location="Town Hall", flat_fee_pence=None).id
        for day in days[:{OWN_CLAIMS}]]
    def waiting(pid, activity_id, day):
        projects.record_attendance(session, activity_id, pid, today=day)
        fee, _ = claims.draft_fee_claim(session, activity_id=activity_id, participant_id=pid,
                                        actor_user_id=manager.id, rules=rules)
        claims.submit_claim(session, fee.id, actor_user_id=manager.id, confirm_duplicate=True,
                            duplicate_reason="A separate session on the same day")
    for n, activity_id in enumerate(activities):
        waiting(own, activity_id, days[n])
    session.commit()
    for i in range(int(sys.argv[1])):
        record = people.create_participant(session, name=f"Bench Person {i}", date_of_birth=dt.date(1970, 1, 1),
                                           email=f"bench.{i}@people.example", today=today - dt.timedelta(days=300))
        people.declare_benefits(session, record.id, benefits=demo.BENEFIT_MIX[1 + i % (len(demo.BENEFIT_MIX) - 1)],
                                declared_on=today - dt.timedelta(days=300), today=today - dt.timedelta(days=300))
        for k in (0, 1):
            waiting(record.id, activities[(i + k) % len(activities)], days[(i + k) % len(activities)])
        if i % 50 == 49:
            session.commit()
    token = users.issue_token(session, finance.id, "bench", expires_in_days=366).token
    session.execute(text("CREATE TABLE bench_http_meta (key text PRIMARY KEY, value text)"))
    session.execute(text("INSERT INTO bench_http_meta VALUES ('token', :t), ('own', :o)"),
                    {{"t": token, "o": str(own)}})
    session.commit()
''').replace("{OWN_CLAIMS}", str(OWN_CLAIMS)).replace("{{", "{").replace("}}", "}")


def _run_in_app(code: Path, url: str, script: str, *args: str, env: dict | None = None) -> str:
    """Run ``script`` in a Flask app context of the code in ``code`` (this code, or the code before)."""
    wrapper = (f"import sys; sys.path.insert(0, {str(code)!r})\nfrom ledger import create_app\napp = create_app()\n"
               f"with app.app_context():\n    exec(compile({script!r}, 'bench-script', 'exec'))\n")
    done = subprocess.run([sys.executable, "-c", wrapper, *args], cwd=code, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url, **(env or {})}, check=False)
    if done.returncode:
        raise SystemExit(f"the script failed in {code}:\n{done.stderr[-4000:]}")
    return done.stdout


# ------------------------------------------------------------------ the endpoints


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    who: str  # "token" (finance's API token), "finance" or "participant" (signed in with a cookie)
    alone_ms: float | None = None  # the targets: alone (median), p95 under load, statements
    p95_ms: float | None = None
    max_statements: int | None = None


def endpoints(meta: dict[str, str]) -> list[Endpoint]:
    own = meta["own"]
    year = "start=2025-01-01&end=2025-12-31"
    busy = "participants:p0007:gbp"
    return [
        Endpoint("statement API, 100 lines", f"/api/v1/accounts/{busy}/statement?{year}&limit=100", "token",
                 None, 50, None),
        Endpoint("balance API", f"/api/v1/accounts/{busy}/balance", "token", None, 50),
        Endpoint("trial balance API", "/api/v1/trial-balance", "token", 30, 300),
        Endpoint("My money page", "/my/money", "participant", 30, 150, 10),
        Endpoint("participant statement API", f"/api/v1/participants/{own}/statement?{year}", "token",
                 30, 150, 10),
        Endpoint("finance claims queue", "/finance/claims", "finance", 300, 1500),
        Endpoint("claims API (submitted)", "/api/v1/claims?status=submitted", "token", 50),
        Endpoint("participants API", "/api/v1/participants", "token", 50),
        Endpoint("payment runs page", "/finance/payment-runs", "finance", 50),
        Endpoint("account page (books)", f"/books/accounts/owed:participant:{own}", "finance", 50),
    ]


# ------------------------------------------------------------------ servers and clients


@dataclass
class Server:
    label: str
    code: Path
    port: int
    process: subprocess.Popen | None = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


def start(server: Server, url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "GUNICORN_BIND": f"127.0.0.1:{server.port}",
           "GUNICORN_ACCESS_LOG": "/dev/null",
           "SECRET_KEY": "bench-secret-key-" + "x" * 32}
    server.process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--chdir", str(server.code),
         "wsgi:app"], cwd=server.code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn for {server.label} did not start on port {server.port}")


def stop(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # workers still busy with requests the clients gave up on
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=30)


def sign_in(server: Server, email: str, password: str) -> dict[str, str]:
    """A login cookie, through the sign-in form (its CSRF token included)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page)
    body = urllib.parse.urlencode({"csrf_token": token.group(1) if token else "", "email": email,
                                   "password": password})
    connection.request("POST", "/login", body, {"Cookie": cookie,
                                                 "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    signed = response.getheader("Set-Cookie", "").split(";")[0] or cookie
    if response.status not in (302, 303):
        raise SystemExit(f"signing in as {email} on {server.label} answered {response.status}")
    return {"Cookie": signed}


def prepare(server: Server, meta: dict[str, str]) -> None:
    server.headers = {"token": {"Authorization": f"Bearer {meta['token']}"},
                      "finance": sign_in(server, *FINANCE), "participant": sign_in(server, *PARTICIPANT)}


def one_request(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


@dataclass
class Measured:
    alone_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    times: list[float] = field(default_factory=list)
    client_cpu_ms: float = 0.0
    statements: int | None = None

    percentiles: dict[int, float] = field(default_factory=dict)  # from wrk, which keeps no list of times

    def pct(self, p: int) -> float:
        if p in self.percentiles:
            return self.percentiles[p]
        if not self.times:
            return float("nan")
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def measure(server: Server, endpoint: Endpoint, clients: int, seconds: float, load: str = "python") -> Measured:
    headers = server.headers[endpoint.who]
    result = Measured()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    alone = []
    for _ in range(12):  # the first few warm each worker's caches; PostgreSQL's plans settle after five
        status, ms = one_request(connection, endpoint.path, headers)
        if status != 200:
            raise SystemExit(f"{server.label} {endpoint.path} answered {status}")
        alone.append(ms)
    result.alone_ms = statistics.median(alone[4:])
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        own = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        times, errors = [], 0
        while time.perf_counter() < deadline:
            status, ms = one_request(own, endpoint.path, headers)
            times.append(ms)
            errors += status != 200
        with lock:
            result.times.extend(times)
            result.errors += errors

    if load == "wrk":
        return _measure_with_wrk(server, endpoint, headers, clients, seconds, result)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.requests = len(result.times)
    used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    result.client_cpu_ms = used * 1000 / max(1, result.requests)
    return result


def _measure_with_wrk(server: Server, endpoint: Endpoint, headers: dict[str, str], clients: int, seconds: float,
                      result: Measured) -> Measured:
    """The load from wrk (C, two threads, ``clients`` connections, each opened again when a sync worker closes it
    after its answer): its percentiles, read back as JSON.

    Twenty Python threads in one process take turns at one interpreter lock: a response that has arrived waits
    for the lock before its time is taken, and that wait is counted as the server's. wrk's threads do not wait
    on each other, and it costs a fraction of the CPU, which it shares with the server.
    """
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "60s",
               "-s", str(ROOT / "bench" / "wrk_report.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([*command, f"http://127.0.0.1:{server.port}{endpoint.path}"], capture_output=True,
                         text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(out.strip().splitlines()[-1])
    result.requests, result.errors, result.seconds = figures["requests"], figures["errors"], figures["seconds"]
    result.percentiles = {50: figures["p50"], 95: figures["p95"], 99: figures["p99"]}
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result.client_cpu_ms = used * 1000 / max(1, result.requests)
    return result


# Counted in a process of its own for each code, the same way: the app's engine with an event listener.
_COUNT_SCRIPT = textwrap.dedent('''
    import json, sys
    from flask import current_app
    from sqlalchemy import event
    counted = [0]
    def one_more(*_args):
        counted[0] += 1
    event.listen(current_app.extensions["engine"], "before_cursor_execute", one_more)
    wanted = json.loads(sys.argv[1])
    found = {}
    app = current_app._get_current_object()
    def get(client, path, headers):
        # Each request in an app context of its own, as a server gives it: in the script's one context, ``g``
        # (and the signed-in user Flask-Login keeps there) would carry over from one request to the next.
        with app.app_context():
            return client.get(path, headers=headers)
    for who, paths in wanted.items():
        client = app.test_client()
        headers = {}
        if who == "token":
            headers = {"Authorization": "Bearer " + sys.argv[2]}
        else:
            email, password = json.loads(sys.argv[3])[who]
            app.config["WTF_CSRF_ENABLED"] = False
            with app.app_context():
                client.post("/login", data={"email": email, "password": password})
        for path in paths:
            get(client, path, headers)  # once to warm, then counted
            counted[0] = 0
            answer = get(client, path, headers)
            found[path] = counted[0] if answer.status_code == 200 else -answer.status_code
    print(json.dumps(found))
''')


def count_statements(server: Server, url: str, meta: dict[str, str], chosen: list[Endpoint]) -> dict[str, int]:
    wanted: dict[str, list[str]] = {}
    for endpoint in chosen:
        wanted.setdefault(endpoint.who, []).append(endpoint.path)
    out = _run_in_app(server.code, url, _COUNT_SCRIPT, json.dumps(wanted), meta["token"],
                      json.dumps({"finance": FINANCE, "participant": PARTICIPANT}))
    return json.loads(out.strip().splitlines()[-1])


# ------------------------------------------------------------------ the report


def _target(value: float | None, unit: str = " ms") -> str:
    return "" if value is None else f"≤ {value:g}{unit}"


def report(servers: list[Server], chosen: list[Endpoint], results: dict, clients: int, load: str) -> None:
    print(f"\n=== HTTP under load: {clients} clients ({load}), gunicorn -c gunicorn.conf.py "
          f"(workers {os.environ.get('GUNICORN_WORKERS', (os.cpu_count() or 1) + 1)}), PostgreSQL; times in ms")
    print("    the load generator runs on the same 2 cores (its CPU per request is shown): figures are noisy")
    header = f"{'endpoint':<28} {'code':<7} {'alone':>7} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} " \
             f"{'errors':>6} {'SQL':>5} {'client':>6}  targets (alone / p95 / SQL)"
    print(header)
    print("-" * len(header))
    for endpoint in chosen:
        for server in servers:
            m: Measured = results[(server.label, endpoint.name)]
            rate = m.requests / m.seconds if m.seconds else 0
            sql = "?" if m.statements is None else str(m.statements)
            print(f"{endpoint.name:<28} {server.label:<7} {m.alone_ms:7.1f} {rate:7.1f} {m.pct(50):7.1f} "
                  f"{m.pct(95):7.1f} {m.pct(99):7.1f} {m.errors:6d} {sql:>5} {m.client_cpu_ms:6.2f}  "
                  f"{_target(endpoint.alone_ms)} / {_target(endpoint.p95_ms)} / "
                  f"{_target(endpoint.max_statements, '')}")


READ_INDEXES = (("ix_claims_accrual_entry_id", "claims", "accrual_entry_id"),
                ("ix_claims_reversal_entry_id", "claims", "reversal_entry_id"),
                ("ix_payments_entry_id", "payments", "entry_id"))


def read_indexes(url: str, *, present: bool) -> None:
    engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for name, table, column in READ_INDEXES:
            connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})" if present
                                    else f"DROP INDEX IF EXISTS {name}"))
        connection.execute(text("ANALYZE claims"))
        connection.execute(text("ANALYZE payments"))
    engine.dispose()


def _head_of(code: Path) -> str:
    """The newest migration of a checkout's ``migrations/``."""
    return ScriptDirectory.from_config(_config_for(code / "migrations")).get_current_head() or ""


def _config_for(location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(location))
    config.attributes["configure_logging"] = False
    return config


def database_for_code_before(url: str, base: Path) -> str:
    """This database, or a copy of it migrated down to the schema the code before knows."""
    head = _head_of(base)
    if head == _head_of(ROOT):
        return url
    copy = make_url(url).set(database=f"{make_url(url).database}_before")
    started = time.perf_counter()
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{copy.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{copy.database}" TEMPLATE "{make_url(url).database}"'))
    admin.dispose()
    engine = create_engine(copy)
    with engine.begin() as connection:
        config = _config_for(ROOT / "migrations")
        config.attributes["connection"] = connection
        command.downgrade(config, head)
    with create_engine(copy, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    log(f"the code before ({head}): a copy of the database migrated down to it in "
        f"{time.perf_counter() - started:.0f} s")
    return copy.render_as_string(hide_password=False)


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_HTTP_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--scale", type=float, default=1.0, help="of 1,000,000 postings (0.01 for a first look)")
    parser.add_argument("--quick", action="store_true", help="--scale 0.01 --seconds 3")
    parser.add_argument("--seconds", type=float, default=10.0, help="under load, per endpoint and code")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--base", type=Path, help="a checkout of the code before, measured beside this one")
    parser.add_argument("--port", type=int, default=8061)
    parser.add_argument("--only", help="endpoints whose name contains this")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if kept")
    parser.add_argument("--load", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python",
                        help="the load generator: wrk (Debian's package, `make bench` installs it) or Python "
                             "threads with http.client")
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.seconds = 0.01, 3.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    meta = {} if args.rebuild else _meta(args.url)
    if meta.get("scale") != str(args.scale):
        build(args.url, args.scale)
        meta = _meta(args.url)
    log(f"database {make_url(args.url).database}: scale {meta['scale']} (built in {meta['built_seconds']} s)")
    servers = [Server("after", ROOT, args.port)]
    if args.base:
        servers.insert(0, Server("before", args.base.resolve(), args.port + 1))
    chosen = [e for e in endpoints(meta) if not args.only or args.only in e.name]
    urls = {server.label: args.url for server in servers}
    if args.base:
        urls["before"] = database_for_code_before(args.url, args.base.resolve())
    results: dict = {}
    for server in servers:
        # The code before ran without migration 0020's indexes: measured without them, then they are put back.
        read_indexes(urls[server.label], present=server.label != "before")
        counts = count_statements(server, urls[server.label], meta, chosen)
        start(server, urls[server.label])
        try:
            prepare(server, meta)
            for endpoint in chosen:
                log(f"{server.label}: {endpoint.name}")
                measured = measure(server, endpoint, args.clients, args.seconds, args.load)
                measured.statements = counts.get(endpoint.path)
                results[(server.label, endpoint.name)] = measured
                # As it goes: a later failure loses nothing.
                report([server], [endpoint], results, args.clients, args.load)
        finally:
            stop(server)
    report(servers, chosen, results, args.clients, args.load)
    return 0


if __name__ == "__main__":
    sys.exit(main())

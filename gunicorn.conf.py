"""How production runs the app: `gunicorn -c gunicorn.conf.py wsgi:app` (the README's command).

Workers are processes, one request at a time each (gunicorn's ``sync`` worker), one more than the cores. The app
is CPU-bound in Python between short SQL statements, so more processes than cores only take turns: on the 2-core
benchmark machine five workers answered 20% fewer requests than three (issue 12). Threads were tried and dropped:
with ``gthread`` each worker keeps the keep-alive connections it accepted, so a worker holding eight of twenty
clients served them at a third of the speed of one holding three, and the slowest 5% of balance requests took
86 ms where, one request at a time per process, they take 39 ms. A sync worker must not talk to slow clients
itself: put a buffering proxy (nginx, a load balancer) in front, as gunicorn's documentation says, and set
``TRUSTED_PROXIES``. Every value can be changed with an environment variable of the same name, so a bigger
machine or a benchmark needs no edit here (``GUNICORN_WORKER_CLASS=gthread`` and ``GUNICORN_THREADS`` bring the
threads back where no proxy can be had). Each worker opens its own database pool (DB_POOL_SIZE +
DB_MAX_OVERFLOW): workers × that must stay below PostgreSQL's max_connections.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # above 1, gunicorn runs gthread whatever worker_class says
# A request still running after this many seconds is killed (the database stops its statement sooner:
# DB_STATEMENT_TIMEOUT_MS).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5  # seconds, for gthread: a sync worker closes each connection after its answer
# Recycle each worker now and then, so that a slow leak cannot grow for ever. Not too often: a new worker spends
# a second and a half of CPU building the app, and at 5,000 requests each of four workers restarted every half
# minute under the HTTP benchmark's load, taking that second and a half from the requests in flight.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = 5000
# Each worker builds its own app, engine and pool after the fork (connections are never shared across it).
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    """Move what building the app made (modules, templates, schemas: ~280,000 objects) out of the collector's way.

    With them in the oldest generation, Python's full garbage collection took about 157 ms, once every hundred
    pages or so, and every request in that worker waited: most of the slowest 5% under load. ``gc.freeze`` keeps
    them out of every later collection; what requests make is still collected as before.
    """
    import gc

    gc.collect()
    gc.freeze()

"""Production settings for gunicorn (``gunicorn -c gunicorn.conf.py wsgi:app``).

Workers are threads-based and never preload the app: each worker process creates its own Accord
application (and database pool) after the fork. Tables are created beforehand by ``accord init-db``.
"""

import os

bind = os.environ.get("ACCORD_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("ACCORD_THREADS", "4"))
worker_class = "bootstrap.serving.ProblemWorker"  # gthread, its own refusals answered as problem+json
preload_app = False

timeout = int(os.environ.get("ACCORD_WORKER_TIMEOUT", "30"))  # a stuck worker is restarted
graceful_timeout = 20
keepalive = 5
# Recycle workers rarely: after a worker retires, clients with persistent connections all reconnect to the
# surviving worker and stay there, leaving the new worker idle and the throughput much lower. Behind a proxy
# that opens one upstream connection per request this does not arise; for direct persistent clients,
# keepalive = 0 keeps workers balanced. Worker memory is bounded (fixed-size caches).
max_requests = 200000
max_requests_jitter = 20000

limit_request_line = 4094  # request-line, headers and body limits (the body: MAX_CONTENT_LENGTH)
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = os.environ.get("ACCORD_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("ACCORD_LOG_LEVEL", "info")

# Workers never create tables: concurrent DDL from booting workers fails. Pools match threads.
raw_env = ["CREATE_TABLE=n", f"POSTGRES_POOL_SIZE={threads}"]

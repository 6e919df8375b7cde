"""gunicorn settings of the production web server: `make serve-prod` (README, "Running in production").

Several synchronous workers behind the TLS reverse proxy, which buffers slow clients. The web tier keeps no
state of its own: data in PostgreSQL, rate limits and background jobs in Redis, sessions in signed cookies
checked against the database; any worker (or host) can serve any request, and a worker can die at any time.
"""

import os
import sys

# Fail closed: this file is for production only, where create_app also refuses SQLite, memory:// rate limits,
# a missing job queue and a weak secret key. For development, `make run`.
if os.environ.get("CONSULT_ENV") != "production":
    sys.exit(
        "make serve-prod is the production server: set CONSULT_ENV=production and the rest of the production "
        "environment first (README, 'Running in production'); for development use `make run`."
    )

wsgi_app = "consult:create_app()"
bind = ["127.0.0.1:8000"]  # loopback: the reverse proxy is the only way in
workers = 4
worker_class = "sync"
# Load the app once in the master: a configuration error stops the server at once instead of in every worker,
# and a worker killed mid-request is replaced by a fork of a ready process.
preload_app = True
# A worker silent for this long is killed and replaced (an analysis never runs in a web worker).
timeout = 60
graceful_timeout = 30
keepalive = 5
# Replace each worker after about 2,000 requests, so memory cannot creep up over weeks.
max_requests = 2000
max_requests_jitter = 200
# Access logs are the proxy's; gunicorn logs errors and worker deaths to stderr (journald under systemd).
errorlog = "-"
loglevel = "info"
# No control socket (gunicornc): one fixed path per user would be shared by every instance on the host, and the
# server is managed by systemd signals anyway.
control_socket_disable = True


def post_fork(server, worker):
    # Database connections opened in the master must not be shared with the forked workers.
    app = worker.app.wsgi()
    app.extensions["consult.engine"].dispose(close=False)

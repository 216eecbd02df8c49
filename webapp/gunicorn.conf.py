"""gunicorn settings for ``make serve``: sync workers, each one request at a time, stateless.

Every worker builds its own app (no preload), so no database connection is ever shared across a
fork; all coordination between workers, hosts and timer workers goes through the database.
``WORKERS``, ``PORT`` (or ``BIND``) and ``GUNICORN_TIMEOUT`` override the defaults; command-line
flags override this file.
"""

import os

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WORKERS", "4"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a worker stuck this long is killed and replaced
graceful_timeout = 10
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the workers' heartbeat files: keep them off a slow disk

#!/usr/bin/env bash
# Container entrypoint: wait for the database, apply migrations (serialised across replicas by an
# advisory lock on PostgreSQL), then serve with FACEGATE_WORKERS uvicorn workers.
set -euo pipefail
FACEGATE_BIN=${FACEGATE_BIN:-facegate}
PYTHON_BIN=${PYTHON_BIN:-python}
wait_s=${FACEGATE_DB_WAIT_SECONDS:-60}
"$PYTHON_BIN" - "$wait_s" <<'PY'
import sys, time
from sqlalchemy import create_engine, text
from app.core.settings import get_settings
deadline = time.monotonic() + float(sys.argv[1])
settings = get_settings()
settings.data_dir.mkdir(parents=True, exist_ok=True)
engine = create_engine(settings.sqlalchemy_url)
while True:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        break
    except Exception as exc:  # noqa: BLE001
        if time.monotonic() > deadline:
            sys.exit(f"database not reachable after {sys.argv[1]} s: {exc}")
        time.sleep(1)
PY
"$FACEGATE_BIN" migrate
exec "$FACEGATE_BIN" serve --host "${FACEGATE_HOST:-0.0.0.0}" --port "${FACEGATE_PORT:-8000}" \
  --workers "${FACEGATE_WORKERS:-1}"

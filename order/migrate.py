"""`python -m order.migrate`: applies the database migrations in order/migrations (yoyo).

Used by `./dev up` and by the Kubernetes migrations Job. Safe to run concurrently: yoyo takes a
lock in the database, and applied migrations are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict
from yoyo import get_backend, read_migrations

from runtime.settings import load

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrateSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: PostgresDsn


def yoyo_url(database_url: str) -> str:
    scheme, rest = database_url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in {"postgres", "postgresql"} else database_url


def apply(database_url: str) -> list[str]:
    """Applies what is not applied yet; returns the ids of the migrations it applied."""
    backend = get_backend(yoyo_url(database_url))
    try:
        migrations = read_migrations(str(MIGRATIONS))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


def main() -> int:
    settings = load(MigrateSettings, "order.migrate")
    applied = apply(str(settings.database_url))
    print(f"order.migrate: applied {len(applied)} migration(s) {applied}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

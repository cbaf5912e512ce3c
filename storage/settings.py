"""Storage settings: the eventsourcing library's own variables, Accord's defaults, and the guards that refuse
settings which would lose events or let readers skip them."""

from __future__ import annotations

from collections.abc import Mapping

LIBRARY_PREFIXES = ("PERSISTENCE_MODULE", "SQLITE_", "POSTGRES_", "CREATE_TABLE", "SINGLE_ROW_TRACKING",
                    "SNAPSHOT_INTERVAL", "AGGREGATE_CACHE")
"""The variables read from the environment: the library's, and two of the application's own."""


class UnsafeSettingsError(RuntimeError):
    """Raised at start-up when storage settings could lose events or let readers skip them."""


def storage_env(environ: Mapping[str, str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The persistence settings from the library's own variables, with the embedded SQLite default."""
    env = {k: v for k, v in environ.items() if k.startswith(LIBRARY_PREFIXES)}
    env.update(overrides or {})
    env.setdefault("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    env.setdefault("SNAPSHOT_INTERVAL", "100")
    env.setdefault("AGGREGATE_CACHE_MAXSIZE", "1000")
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        env.setdefault("APPLICATION_RECORDER_TOPIC", "storage.recorders:ChainedSQLiteRecorder")
        env.setdefault("SQLITE_DBNAME", "var/accord.db")
        env.setdefault("SQLITE_LOCK_TIMEOUT", "10")
    elif env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        env.setdefault("APPLICATION_RECORDER_TOPIC", "storage.recorders:ChainedPostgresRecorder")
        env.setdefault("POSTGRES_PASSWORD", "")  # trust or .pgpass authentication
        env.setdefault("POSTGRES_LOCK_TIMEOUT", "5")  # seconds; 0 would wait forever on a locked table
        env.setdefault("POSTGRES_CONNECT_TIMEOUT", "5")
        env.setdefault("POSTGRES_PRE_PING", "y")  # connections broken by a server restart are replaced
    return env


def check_storage_settings(env: Mapping[str, str]) -> None:
    """Refuse settings that lose data: checked before anything is served or recorded."""
    def on(key: str) -> bool:
        return (env.get(key) or "").strip().lower() in ("y", "yes", "t", "true", "on", "1")

    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        if on("POSTGRES_ENABLE_DB_FUNCTIONS"):
            raise UnsafeSettingsError("POSTGRES_ENABLE_DB_FUNCTIONS is on: it lets log readers skip events; unset it")
        if int(env.get("POSTGRES_LOCK_TIMEOUT") or 0) <= 0:
            raise UnsafeSettingsError("POSTGRES_LOCK_TIMEOUT must be a positive number of seconds: without it a "
                                      "stuck writer makes every other writer wait forever")
    elif env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        name = env.get("SQLITE_DBNAME", "")
        if ":memory:" in name or "mode=memory" in name:
            raise UnsafeSettingsError("an in-memory SQLite database keeps nothing and has no write-ahead log; "
                                      "name a file in SQLITE_DBNAME")
    else:
        raise UnsafeSettingsError(f"PERSISTENCE_MODULE {env['PERSISTENCE_MODULE']!r} is not supported: use "
                                  "eventsourcing.sqlite or eventsourcing.postgres")


def backend_of(env: Mapping[str, str]) -> str:
    """"sqlite" or "postgres"."""
    return env["PERSISTENCE_MODULE"].rsplit(".", 1)[-1]

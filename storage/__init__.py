"""What talks to SQLite and PostgreSQL: the event store's recorders and the global hash chain, the SQLite
writer gate, the stored JSON (written and read), the audit reads of the stored log, the read models' database,
and the settings and guards of both backends. ``bootstrap`` plugs it into the workflows and the views."""

"""Shared, durable state: the database every instance asks first (SQLite or
PostgreSQL). ``url`` turns DATABASE_URL into an async SQLAlchemy URL, ``engine`` opens it (WAL
and a busy timeout on SQLite), ``migrate`` brings the schema up to date under a PostgreSQL
advisory lock, ``tables`` holds the schema, ``ledger`` the change ledger's compare-and-set
transitions.

It imports ``bot.core`` only (``Money``, which the ledger records, lives there); the layers
above it may import it.
"""

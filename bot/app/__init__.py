"""The composition root: ``runtime`` wires settings to objects (no I/O), ``asgi`` builds the
Starlette app (routes, lifespan, Socket Mode), ``store_upkeep`` migrates the database and sweeps
stale requests beside it, ``server`` runs it under uvicorn with the edge guards of
``http_edge``, ``sandbox_mode`` starts the built-in Sinch sandbox when asked. ``python -m bot``
(``bot/__main__.py``) starts it.

It may import every layer below it; only ``bot.cli`` and ``bot.__main__`` import it.
"""

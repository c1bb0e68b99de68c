"""The process's own machinery: settings from the environment (``config``), logging and
secret redaction (``logging_setup``), Prometheus metrics, the audit log (logger ``bot.audit``),
readiness, the scheduler and the per-user rate limit.

It may import ``bot.core`` and ``bot.store`` (the database URL rules); the capabilities and the
surfaces import it, never the other way round.
"""

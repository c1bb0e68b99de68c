"""Watches: re-run a saved search every WATCH_INTERVAL and DM its owner each number
that is new. Owns the watch tables (``tables``, ``store``), the periodic tick that claims due
searches (``tick``), the diff (``diff``), the model and the retry and expiry policy
(``policy``). Its Slack messages are ``bot.slack.watch_blocks``.

It may import the grammar (a watch re-parses its saved search), ``bot.search``, ``bot.store``,
``bot.sinch``, ``bot.ops`` and ``bot.core``; the Slack listeners (``bot.slack.watches``) and the
CLI (``bot.cli.watches``) call it, never the other way round.
"""

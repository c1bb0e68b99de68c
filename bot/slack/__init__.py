"""The Slack surface: the Bolt app and its listeners (slash command, buttons, the
search form, the Home tab, watches), the gate every request passes (allowlists, rate limit),
delivery to ``response_url`` and the Block Kit renderers (``*blocks``).

It may import the capabilities (``bot.search``, ``bot.changes``, ``bot.active``, ``bot.watch``),
the grammar (``bot.commands``), ``bot.ops``, ``bot.store``, ``bot.sinch`` and ``bot.core``; only
``bot.app`` imports it.
"""

"""The domain of sending: groups and members, elections, content, broadcasts and deliveries.

Nothing here imports Flask: the web, the CLI and the worker all drive this package.
"""

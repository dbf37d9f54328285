"""The app's plumbing: the gate (deny by default, CSRF, headers), server-side sessions, the
store's lifecycle in a server (unlock, Lock now, idle lock), the throttle, error pages
(``store.NotFound`` becomes a 404), the interface language, labels, the card cache and the
form fields every blueprint shares.

May import: ``casework.vault``, ``casework.store``, ``casework.rules``, config and clock,
Flask and its extensions. Never a blueprint or the command line.
"""

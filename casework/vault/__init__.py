"""The store file and its key material: key derivation and the salt file, the sealed or
unlocked ``Store`` object, changing the key, backups and restores, purge runs, and the
local control channel of a running server.

May import: ``casework.store``, ``casework.rules``, ``casework.config``, ``casework.clock``.
Never Flask, Werkzeug or WTForms.
"""

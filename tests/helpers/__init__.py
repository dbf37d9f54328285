"""The one test toolkit: every helper a test or fixture imports lives in this package.

- ``instance``: the passphrase, password and cheap KDF/hashing settings of a test instance.
- ``forms``: the one ``post()`` (CSRF token fetched cheaply), ``english()``.
- ``accounts``: the one account factory (``Accounts`` through the real setup link,
  ``insert_user`` for rows planted straight into a store) and ``Team``.
- ``planted``: rows planted at chosen times (retention, purge, bench).
- ``workflow``: the whole workflow through the test client, secrets recorded.
- ``live``/``served``: a real ``casework serve`` process and an HTTPS client for it.
- ``forensics``: reading a SQLCipher file page by page, for leftovers.
- ``kill_writer``: the child process test_kill_writes kills.
"""

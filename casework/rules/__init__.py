"""Pure domain rules, no I/O: case codes, the identifier guard, local times, weekly
availability, spoken languages, the password policy and hashing, one-time codes.

May import: the standard library and pure libraries (argon2, cryptography); nothing else
of casework but ``casework.rules`` itself.
"""

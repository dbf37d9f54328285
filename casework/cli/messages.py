# ruff: noqa: S105 - prompts and messages that name passphrases are not passphrases
"""Every line the command line prints, in one place: one template per line, named.

Commands never write an English sentence inline: they call ``say(NAME, **values)`` or
raise ``fail(NAME, **values)``, so that translating the command line is one catalogue to
fill, not a hunt through the commands. Each template is a single line (no newline), with
``{name}`` placeholders only.
"""

from __future__ import annotations

import click

EXIT_FAILURE = 1
EXIT_USAGE = 2


class Failure(Exception):
    """A one-line message for the operator and an exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


# --- errors (printed after "casework: ", on standard error) ---------------------------
WRONG_KEY = "the passphrase or key does not open this store"
UNEXPECTED = "unexpected error ({kind}); nothing was changed that a retry cannot redo"
OS_ERROR = "{path}: {reason}"
NO_FOLDER = "the instance folder {path} does not exist"
NO_PARENT = (
    "the folder {path} does not exist: create it first (casework creates only the last folder)"
)
NOT_A_FOLDER = "the instance path {path} is not a folder"
UNREADABLE_FOLDER = "the instance folder {path} cannot be read"
OPEN_FOLDER = "warning: other users can read {path}: run `chmod -R go= {path}`"
NO_STORE = "no store in {path}: run `casework init` first"
STORE_EXISTS = "a store already exists in {path}: refusing to touch it"
STORE_EXISTS_FORCE = "a store already exists in {path}: add --force to replace it"
OPENS_WITH_KEY_FILE = "this store opens with its key file: give --key-file PATH"
NO_STDIN_PASSPHRASE = "no passphrase on standard input"
PASSPHRASES_DIFFER = "the two passphrases differ"
TOO_MANY_TRIES = "three tries without success: nothing was changed"
TRY_AGAIN = "{problem}: try again ({left} left)"
KEY_FILE_FOLDER = "the folder of the key file {path} does not exist"
NO_TLS_OFF_LOOPBACK = "--no-tls is only allowed on a loopback address such as 127.0.0.1"
CANNOT_LISTEN = "cannot listen on {host}:{port}: {reason}"
NO_LOCK_CHANNEL = "`casework lock` will not work: {reason}"
DAMAGED_UNREADABLE = "the store is damaged: it cannot be read to the end"
DAMAGED = "the store is damaged: {count} problem(s), first: {first}"
NO_CERTIFICATE = "no certificate yet: `casework serve` makes one on first start"
RENEW_OWN_CERTIFICATE = (
    "this instance serves its own certificate ([tls] in config.toml): renew it where it was issued"
)
PURGE_PROBLEM = "purge {outcome}: {problem}"
BACKUP_EXISTS = "{path} already exists: choose a new file name"

# --- prompts -------------------------------------------------------------------------
PROMPT_PASSPHRASE = "Store passphrase"
PROMPT_SECRET = "Operator passphrase or recovery key"
PROMPT_REPEAT = "Repeat for confirmation"

# --- init, serve ---------------------------------------------------------------------
CREATED_FOLDER = "Created the instance folder {path} (readable by you only)."
CREATED_STORE = "Created an encrypted store in {path}."
KEY_FILE_WARNING = "It opens with the key file {path}: whoever holds that file can read it."
SETUP_LINK_INTRO = "Open this link within 24 hours to create the first coordinator account:"
LINK_LINE = "  {url}"
RECOVERY_KEY_INTRO = (
    "Recovery key (write it down now, keep it in a sealed envelope; it is shown only once):"
)
RECOVERY_KEY_USE = (
    "It opens the store when no coordinator can sign in (the unlock page, or --passphrase-stdin)."
)
SERVING_SEALED = "casework is locked: unlock it in the browser with the store passphrase."
SERVING_ON = "casework is serving on {url}"
SERVING_ALSO = "  also on {url}"
FINGERPRINT = "Certificate SHA-256 fingerprint: {fingerprint}"
CERTIFICATE_MADE = "Made a new self-signed certificate, valid until {date}."
CERTIFICATE_NOT_COVERING = (
    "warning: the certificate does not name {host}: run `casework tls --renew` and restart"
)
CHECK_OK = "ok: the store is intact"

# --- tls -----------------------------------------------------------------------------
TLS_RENEWED = "A new certificate was made; restart the server to use it."
TLS_FINGERPRINT = "SHA-256 fingerprint: {fingerprint}"
TLS_FINGERPRINT_GROUPS = "In short groups: {groups}"
TLS_EXPIRES = "Valid until {date} ({days} days from now)."
TLS_EXPIRED = "warning: the certificate expired on {date}: run `casework tls --renew`"
TLS_SOON = "warning: the certificate expires in {days} days: run `casework tls --renew`"
TLS_QR_FOR = "Scan to open {url}"

# --- invite --------------------------------------------------------------------------
INVITE_FOR = "Invitation for a {role}, valid {hours} hours, single use."
INVITE_LINK = "Link:  {url}"
INVITE_CODE = "Code:  {code}   (typed at {url})"

# --- demo ----------------------------------------------------------------------------
DEMO_SUMMARY = (
    "Demo store: {people} people, {cases} cases, {tasks} tasks, {assignments} "
    "sign-ups ({seconds} s)."
)
DEMO_ACCOUNT = "  {role:<11} {handle}  password {password}{extra}"
DEMO_TOTP = "  TOTP secret {secret}"
DEMO_MORE = "  ... and {count} more (same password per role; --json)"

# --- purge ---------------------------------------------------------------------------
PURGE_STEP = "  {step}…"
PURGE_DRY_RUN = "Dry run: a purge now would remove {total} row(s); nothing changed."
PURGE_DONE = "Purge {outcome}: {total} row(s) in {seconds:.2f} s."
PURGE_COUNT = "  {kind}: {count}"

# --- lock, unlock, rekey, backup, restore ----------------------------------------------
STEP = "{count}/{total} {what}…"
DID_NOT_LOCK = "the server did not lock (it answered {answer!r})"
LOCKED = "Locked: the key is gone from the server's memory and every session ended."
LOCKED_SESSIONS_LEFT = (
    "Locked: the key is gone from the server's memory; ending the sessions failed ({problem}),"
    " so they end at the next unlock and none can be used until then."
)
DISK_FULL = "the disk is full: nothing was saved; free some space and try again"
SYSTEM_REFUSED = "the system refused: {reason}"
STORE_UNUSABLE = "the store could not be used ({kind}); nothing was saved"
UNLOCK_WRONG = "that passphrase or recovery key does not open the store"
UNLOCK_TYPO = "check the recovery key: a symbol is wrong"
UNLOCK_BUSY = "another unlock is under way; try again in a moment"
UNLOCK_WAIT = "too many attempts: wait {seconds} seconds"
UNLOCK_ANSWER = "the server answered {answer!r}"
UNLOCKED = "Unlocked: casework is serving."
PROMPT_CURRENT = "Current passphrase or recovery key"
PROMPT_NEW = "New operator passphrase"
PROMPT_BACKUP = "Backup passphrase"
PROMPT_RESTORED = "Passphrase for the restored store"
REKEYED = "The operator passphrase is changed: the old one no longer opens the store."
FOLDER_MISSING = "the folder {path} does not exist"
BACKUP_WRITTEN = "Wrote an encrypted backup to {path}."
BACKUP_ADVICE = "Keep it offline, away from this machine, and delete it when a newer one exists."
RESTORED = "Restored the store in {path} from {backup}."
RESTORED_SLOTS = "Coordinators get their own way in back at their next sign-in."
STEP_DONE = "done"
STEP_PURGE = "running the retention purge"

# --- status --------------------------------------------------------------------------
STATUS_RUNNING = "Server: running since {since}, {state}, on {url}"
STATUS_NOT_RUNNING = "Server: not running"
STATUS_STALE = "Server: not running (a killed server left {path}; the next start cleans it)"
STATUS_SEALED = "locked"
STATUS_UNLOCKED = "unlocked"
STATUS_PURGE = "Last purge: {when}, {outcome}"
STATUS_BACKUP = "Last backup: {when} ({days} days ago)"
STATUS_UNKNOWN = "{what}: unknown while the store is locked (give --passphrase-stdin or --key-file)"
STATUS_NEVER = "{what}: never"
STATUS_CERTIFICATE = "Certificate: valid until {date} ({days} days from now)"
STATUS_NO_CERTIFICATE = "Certificate: none yet (`casework serve` makes one)"
STATUS_DISK = "Disk: {free} MB free; the next compaction needs about {needed} MB"
STATUS_DISK_LOW = (
    "warning: too little disk space to compact the store after a purge: free some space"
)
STATUS_BACKUP_OLD = "warning: no backup for {days} days: run `casework backup`"
STATUS_VERSION = "casework {version}"
WHAT_PURGE = "Last purge"
WHAT_BACKUP = "Last backup"


def say(message: str, err: bool = False, **values) -> None:
    """Print one line of the catalogue above."""
    click.echo(message.format(**values), err=err)


def fail(message: str, status: int = EXIT_FAILURE, **values) -> Failure:
    """The Failure to raise for one line of the catalogue above."""
    return Failure(message.format(**values), status)

"""Every line the command line prints, in one place: one template per line, named.

Commands never write an English sentence inline: they call ``say(NAME, **values)`` or
raise ``fail(NAME, **values)``. Each template is an English msgid of the catalogues the
pages use (marked ``N_`` for ``./scripts/i18n``), a single line with ``{name}``
placeholders only; ``say`` and ``fail`` translate it into the operator's language, then
fill it in.
"""

from __future__ import annotations

import click

from casework.cli.i18n import gettext
from casework.rules.wording import N_, Explained

EXIT_FAILURE = 1
EXIT_USAGE = 2


class Failure(Exception):
    """A one-line message for the operator and an exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


# --- errors (printed after "casework: ", on standard error) ---------------------------
WRONG_KEY = N_("the passphrase or key does not open this store")
UNEXPECTED = N_("unexpected error ({kind}); nothing was changed that a retry cannot redo")
OS_ERROR = N_("{path}: {reason}")
NO_FOLDER = N_("the instance folder {path} does not exist")
NO_PARENT = N_(
    "the folder {path} does not exist: create it first (casework creates only the last folder)"
)
NOT_A_FOLDER = N_("the instance path {path} is not a folder")
UNREADABLE_FOLDER = N_("the instance folder {path} cannot be read")
OPEN_FOLDER = N_("warning: other users can read {path}: run `chmod -R go= {path}`")
NO_STORE = N_("no store in {path}: run `casework init` first")
STORE_EXISTS = N_("a store already exists in {path}: refusing to touch it")
STORE_EXISTS_FORCE = N_("a store already exists in {path}: add --force to replace it")
OPENS_WITH_KEY_FILE = N_("this store opens with its key file: give --key-file PATH")
NO_STDIN_PASSPHRASE = N_("no passphrase on standard input")
PASSPHRASES_DIFFER = N_("the two passphrases differ")
TOO_MANY_TRIES = N_("three tries without success: nothing was changed")
TRY_AGAIN = N_("{problem}: try again ({left} left)")
KEY_FILE_FOLDER = N_("the folder of the key file {path} does not exist")
NO_TLS_OFF_LOOPBACK = N_("--no-tls is only allowed on a loopback address such as 127.0.0.1")
CANNOT_LISTEN = N_("cannot listen on {host}:{port}: {reason}")
NO_LOCK_CHANNEL = N_("`casework lock` will not work: {reason}")
DAMAGED_UNREADABLE = N_("the store is damaged: it cannot be read to the end")
DAMAGED = N_("the store is damaged: {count} problem(s), first: {first}")
NO_CERTIFICATE = N_("no certificate yet: `casework serve` makes one on first start")
RENEW_OWN_CERTIFICATE = N_(
    "this instance serves its own certificate ([tls] in config.toml): renew it where it was issued"
)
PURGE_PROBLEM = N_("purge {outcome}: {problem}")
BACKUP_EXISTS = N_("{path} already exists: choose a new file name")

# --- prompts -------------------------------------------------------------------------
PROMPT_PASSPHRASE = N_("Store passphrase")
PROMPT_SECRET = N_("Operator passphrase or recovery key")
PROMPT_REPEAT = N_("Repeat for confirmation")

# --- init, serve ---------------------------------------------------------------------
CREATED_FOLDER = N_("Created the instance folder {path} (readable by you only).")
CREATED_STORE = N_("Created an encrypted store in {path}.")
KEY_FILE_WARNING = N_("It opens with the key file {path}: whoever holds that file can read it.")
SETUP_LINK_INTRO = N_("Open this link within 24 hours to create the first coordinator account:")
LINK_LINE = N_("  {url}")
RECOVERY_KEY_INTRO = N_(
    "Recovery key (write it down now, keep it in a sealed envelope; it is shown only once):"
)
RECOVERY_KEY_USE = N_(
    "It opens the store when no coordinator can sign in (the unlock page, or --passphrase-stdin)."
)
SERVING_SEALED = N_("casework is locked: unlock it in the browser with the store passphrase.")
SERVING_ON = N_("casework is serving on {url}")
SERVING_ALSO = N_("  also on {url}")
FINGERPRINT = N_("Certificate SHA-256 fingerprint: {fingerprint}")
CERTIFICATE_MADE = N_("Made a new self-signed certificate, valid until {date}.")
CERTIFICATE_NOT_COVERING = N_(
    "warning: the certificate does not name {host}: run `casework tls --renew` and restart"
)
CHECK_OK = N_("ok: the store is intact")

# --- tls -----------------------------------------------------------------------------
TLS_RENEWED = N_("A new certificate was made; restart the server to use it.")
TLS_FINGERPRINT = N_("SHA-256 fingerprint: {fingerprint}")
TLS_FINGERPRINT_GROUPS = N_("In short groups: {groups}")
TLS_EXPIRES = N_("Valid until {date} ({days} days from now).")
TLS_EXPIRED = N_("warning: the certificate expired on {date}: run `casework tls --renew`")
TLS_SOON = N_("warning: the certificate expires in {days} days: run `casework tls --renew`")
TLS_QR_FOR = N_("Scan to open {url}")

# --- invite --------------------------------------------------------------------------
INVITE_FOR = {
    "volunteer": N_("Invitation for a volunteer, valid {hours} hours, single use."),
    "coordinator": N_("Invitation for a coordinator, valid {hours} hours, single use."),
}
INVITE_LINK = N_("Link:  {url}")
INVITE_CODE = N_("Code:  {code}   (typed at {url})")

# --- demo ----------------------------------------------------------------------------
DEMO_SUMMARY = N_(
    "Demo store: {people} people, {cases} cases, {tasks} tasks, {assignments} "
    "sign-ups ({seconds} s)."
)
DEMO_ACCOUNT = N_("  {role:<11} {handle}  password {password}{extra}")
DEMO_TOTP = N_("  TOTP secret {secret}")
DEMO_MORE = N_("  ... and {count} more (same password per role; --json)")

# --- purge ---------------------------------------------------------------------------
PURGE_STEP = N_("  {step}…")
PURGE_DRY_RUN = N_("Dry run: a purge now would remove {total} row(s); nothing changed.")
PURGE_DONE = N_("Purge {outcome}: {total} row(s) in {seconds:.2f} s.")
PURGE_COUNT = N_("  {kind}: {count}")

# --- lock, unlock, rekey, backup, restore ----------------------------------------------
STEP = N_("{count}/{total} {what}…")
DID_NOT_LOCK = N_("the server did not lock (it answered {answer!r})")
LOCKED = N_("Locked: the key is gone from the server's memory and every session ended.")
LOCKED_SESSIONS_LEFT = N_(
    "Locked: the key is gone from the server's memory; ending the sessions failed ({problem}),"
    " so they end at the next unlock and none can be used until then."
)
DISK_FULL = N_("the disk is full: nothing was saved; free some space and try again")
SYSTEM_REFUSED = N_("the system refused: {reason}")
STORE_UNUSABLE = N_("the store could not be used ({kind}); nothing was saved")
UNLOCK_WRONG = N_("that passphrase or recovery key does not open the store")
UNLOCK_TYPO = N_("check the recovery key: a symbol is wrong")
UNLOCK_BUSY = N_("another unlock is under way; try again in a moment")
UNLOCK_WAIT = N_("too many attempts: wait {seconds} seconds")
UNLOCK_DISK_FULL = N_(
    "the server's disk is full: the store stays sealed; free some space, then unlock again"
)
UNLOCK_ANSWER = N_("the server answered {answer!r}")
UNLOCKED = N_("Unlocked: casework is serving.")
PROMPT_CURRENT = N_("Current passphrase or recovery key")
PROMPT_NEW = N_("New operator passphrase")
PROMPT_BACKUP = N_("Backup passphrase")
PROMPT_RESTORED = N_("Passphrase for the restored store")
REKEYED = N_("The operator passphrase is changed: the old one no longer opens the store.")
FOLDER_MISSING = N_("the folder {path} does not exist")
BACKUP_WRITTEN = N_("Wrote an encrypted backup to {path}.")
BACKUP_ADVICE = N_(
    "Keep it offline, away from this machine, and delete it when a newer one exists."
)
RESTORED = N_("Restored the store in {path} from {backup}.")
RESTORED_SLOTS = N_("Coordinators get their own way in back at their next sign-in.")
STEP_DONE = N_("done")
STEP_PURGE = N_("running the retention purge")

# --- status --------------------------------------------------------------------------
STATUS_RUNNING = N_("Server: running since {since}, {state}, on {url}")
STATUS_NOT_RUNNING = N_("Server: not running")
STATUS_STALE = N_("Server: not running (a killed server left {path}; the next start cleans it)")
STATUS_SEALED = N_("locked")
STATUS_UNLOCKED = N_("unlocked")
STATUS_PURGE = N_("Last purge: {when}, {outcome}")
STATUS_BACKUP = N_("Last backup: {when} ({days} days ago)")
STATUS_UNKNOWN = N_(
    "{what}: unknown while the store is locked (give --passphrase-stdin or --key-file)"
)
STATUS_NEVER = N_("{what}: never")
STATUS_CERTIFICATE = N_("Certificate: valid until {date} ({days} days from now)")
STATUS_NO_CERTIFICATE = N_("Certificate: none yet (`casework serve` makes one)")
STATUS_DISK = N_("Disk: {free} MB free; the next compaction needs about {needed} MB")
STATUS_DISK_LOW = N_(
    "warning: too little disk space to compact the store after a purge: free some space"
)
STATUS_BACKUP_OLD = N_("warning: no backup for {days} days: run `casework backup`")
STATUS_VERSION = N_("casework {version}")
WHAT_PURGE = N_("Last purge")
WHAT_BACKUP = N_("Last backup")
OUTCOMES = {"done": N_("done"), "incomplete": N_("incomplete"), "failed": N_("failed")}
ROLES = {"coordinator": N_("coordinator"), "volunteer": N_("volunteer")}

# --- slots, rotate, recovery-key -------------------------------------------------------
SLOT_COLUMNS = (N_("slot"), N_("kind"), N_("created"), N_("last used"), N_("owner"))
SLOT_KINDS = {
    "coordinator": N_("coordinator"),
    "operator": N_("operator passphrase"),
    "recovery": N_("recovery key"),
    "key_file": N_("key file"),
}
NEVER = N_("never")
SERVER_SEALED = N_("the server is locked: unlock it first, or stop it and give a secret")
NO_SLOT = N_("no slot {slot} in the slot file (see `casework slots`)")
ONLY_SLOT = N_("this is the only slot left: removing it would lock everyone out")
LAST_COORDINATOR_SLOT = N_(
    "this is the last coordinator slot: only the recovery key or the operator"
    " passphrase would open the store. Add --force if that is what you want"
)
NOT_ROTATED = N_("the key was not rotated")
SLOT_REMOVED = N_(
    "Removed slot {slot}; the master key is new: old copies of the slot file no longer"
    " open the store."
)
ROTATED = N_("The master key is new: old copies of the slot file no longer open the store.")
OLD_BACKUPS = N_(
    "Backups made before now still open with their own backup passphrase: make a fresh"
    " backup and destroy the old ones."
)


def text(message: str, **values) -> str:
    """One line of the catalogue above, translated and filled in."""
    return gettext(message).format(**values)


def say(message: str, err: bool = False, **values) -> None:
    """Print one line of the catalogue above."""
    click.echo(text(message, **values), err=err)


def fail(message: str, status: int = EXIT_FAILURE, **values) -> Failure:
    """The Failure to raise for one line of the catalogue above."""
    return Failure(text(message, **values), status)


def explain(error: Exception) -> str:
    """A lower layer's error in the operator's language: its template translated and
    filled in, or its message looked up as a msgid (unchanged when the catalogue lacks it)."""
    if isinstance(error, Explained):
        return text(error.template, **error.values)
    return gettext(str(error))

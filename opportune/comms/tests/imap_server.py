"""A real IMAP server for the tests: Debian's dovecot-imapd, started with a configuration of its
own in a temporary directory (plaintext login allowed, users in a passwd-file, maildirs in the
directory, listening on a free port of 127.0.0.1). It runs as root (CI) or as any other user.
``dovecot_or_skip()`` skips the test with the reason outside CI when dovecot is missing, and
fails in CI (``CI`` set), where ``.ci/run`` installs it."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from opportune.testing import free_port

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)


def dovecot_or_skip() -> str:
    if DOVECOT:
        return DOVECOT
    reason = "dovecot is not installed (apt-get install -y dovecot-imapd): the IMAP test is skipped"
    if os.environ.get("CI"):
        pytest.fail(reason.replace("is skipped", "cannot run in CI"))
    print(reason)
    pytest.skip(reason)


@dataclass
class ImapServer:
    port: int
    user: str
    password: str
    maildir: Path
    uid: int
    gid: int

    def deliver(self, name: str, raw: bytes) -> None:
        """Put a message into the user's INBOX as a mail server would (maildir new/)."""
        target = self.maildir / "new" / f"{time.time_ns()}.{name}.opportune"
        target.write_bytes(raw)
        os.chown(target, self.uid, self.gid)


@contextmanager
def imap_server() -> Iterator[ImapServer]:
    binary = dovecot_or_skip()
    # A directory of its own, not pytest's (whose parents only root may enter: dovecot's
    # processes run as its own users and read the users file and the mail through it).
    tmp = Path(tempfile.mkdtemp(prefix="opportune-dovecot-"))
    try:
        with _running(binary, tmp) as server:
            yield server
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def _running(binary: str, tmp: Path) -> Iterator[ImapServer]:
    port = free_port()
    root = tmp / "dovecot"
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:  # dovecot's own users (the package makes them); mail as nobody
        login_user, internal_user = "dovenull", "dovecot"
        mail = pwd.getpwnam("nobody")
        os.chmod(tmp, 0o755)
        os.chmod(root, 0o755)
    else:
        login_user = internal_user = me.pw_name
        mail = me
    user, password = "sales", "imap-secret"
    home = root / "mail" / user
    maildir = home / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for path in (home, maildir, *(maildir / s for s in ("new", "cur", "tmp"))):
        os.chown(path, mail.pw_uid, mail.pw_gid)
    (root / "users").write_text(
        f"{user}:{{PLAIN}}{password}:{mail.pw_uid}:{mail.pw_gid}::{home}\n", encoding="utf-8"
    )
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text(errors="replace")
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    raise RuntimeError(
                        f"dovecot did not start: {process.stderr.read().decode() if process.stderr else ''} {log}"
                    ) from None
                time.sleep(0.1)
        yield ImapServer(port, user, password, maildir, mail.pw_uid, mail.pw_gid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

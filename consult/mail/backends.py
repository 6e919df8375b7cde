"""Where messages go: the console, a folder of .eml files, or an SMTP server; and the outbox thread."""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import sys
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from consult.config import PROJECT_ROOT


class ConsoleBackend:
    def __init__(self, config) -> None:
        self.stream = sys.stdout

    def deliver(self, message: EmailMessage) -> None:
        headers = "".join(f"{name}: {message[name]}\n" for name in ("From", "To", "Subject"))
        text = f"---- e-mail (CONSULT_MAIL_BACKEND=console) ----\n{headers}\n{message.get_content()}---- end ----"
        print(text, file=self.stream, flush=True)


class FolderBackend:
    def __init__(self, config) -> None:
        folder = Path(config["MAIL_FOLDER"])
        self.folder = folder if folder.is_absolute() else PROJECT_ROOT / folder

    def deliver(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(message.as_bytes())


class SMTPBackend:
    def __init__(self, config) -> None:
        self.host = config["MAIL_HOST"]
        self.port = int(config["MAIL_PORT"])
        self.security = config["MAIL_SECURITY"]
        self.username = config.get("MAIL_USERNAME") or ""
        self.password = config.get("MAIL_PASSWORD") or ""
        self.timeout = float(config["MAIL_TIMEOUT"])

    def deliver(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            client.send_message(message)


BACKENDS = {"console": ConsoleBackend, "folder": FolderBackend, "smtp": SMTPBackend}


IDLE_SECONDS = 30


class Outbox:
    """A queue and one daemon thread per process that hands messages to the backend, one at a time."""

    def __init__(self, backend, logger: logging.Logger) -> None:
        self.backend = backend
        self.logger = logger
        self._queue: queue.Queue[EmailMessage] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, message: EmailMessage) -> None:
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=_domain(message["From"]))
        self._queue.put(message)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="consult-mail", daemon=True)
                self._thread.start()

    def wait(self, timeout: float = 30) -> bool:
        """Block until every queued message was handed over (or failed); False on timeout. For tests and commands."""
        finished = threading.Event()

        def join() -> None:
            self._queue.join()
            finished.set()

        threading.Thread(target=join, daemon=True).start()
        return finished.wait(timeout)

    def _run(self) -> None:
        while True:
            try:
                message = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # idle: end the thread (put() starts a new one), unless a message just came
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                self.backend.deliver(message)
            except Exception as exc:  # the next message may go through: log and carry on
                # Neither the address nor the text (an SMTP refusal quotes the recipients): what helps the operator.
                code = getattr(exc, "smtp_code", None)
                self.logger.error("e-mail not sent: %s%s", type(exc).__name__, f" (SMTP {code})" if code else "")
            finally:
                self._queue.task_done()


def _domain(sender: str | None) -> str:
    address = (sender or "").rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"

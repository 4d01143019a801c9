"""E-mail backends for tests, chosen through EMAIL_BACKEND like any other backend."""

import os
import threading
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class BrokenBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP is down")


class SlowLocmemBackend(LocmemBackend):
    """A slow SMTP server, in this process: sets ``started`` when a send begins, then waits ``seconds``."""

    started = threading.Event()
    seconds = 1.0

    def send_messages(self, email_messages):
        type(self).started.set()
        time.sleep(type(self).seconds)
        return super().send_messages(email_messages)


class SlowFileBackend(BaseEmailBackend):
    """For worker processes: writes each message to EMAIL_FILE_PATH after SLOW_EMAIL_SECONDS, and first leaves a
    ``started-<pid>-…`` marker, so a test knows a send is under way and which process to kill."""

    def send_messages(self, email_messages):
        folder = Path(os.environ["EMAIL_FILE_PATH"])
        (folder / f"started-{os.getpid()}-{uuid.uuid4().hex}").touch()
        time.sleep(float(os.environ.get("SLOW_EMAIL_SECONDS", "0")))
        for message in email_messages:
            (folder / f"mail-{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)

from django.core.mail.backends.base import BaseEmailBackend


class BrokenBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP is down")


class SlowFileBackend(BaseEmailBackend):
    """Writes each message to EMAIL_FILE_PATH after SLOW_EMAIL_SECONDS, leaving a marker when it starts (so a test
    can kill the worker mid-send)."""

    def send_messages(self, email_messages):
        import os
        import time
        import uuid
        from pathlib import Path

        folder = Path(os.environ["EMAIL_FILE_PATH"])
        (folder / f"started-{uuid.uuid4().hex}").touch()
        time.sleep(float(os.environ.get("SLOW_EMAIL_SECONDS", "0")))
        for message in email_messages:
            (folder / f"mail-{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Give a staff member a TOTP device for the admin's two-factor login; prints the otpauth:// URL to scan."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--replace", action="store_true", help="Remove the member's existing TOTP devices.")

    def handle(self, *args, email, replace, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account with the e-mail {email}.")
        if replace:
            TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        self.stderr.write("Scan this URL as a QR code in an authenticator app (or type the secret):")
        self.stdout.write(device.config_url)

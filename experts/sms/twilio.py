from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from experts.sms import BaseBackend, SMSError

# Twilio error codes about the number itself: sending again cannot succeed.
# 21211 invalid 'To', 21214 not reachable, 21408 region not enabled, 21610 unsubscribed,
# 21612 cannot route, 21614 not a mobile number.
PERMANENT_CODES = {21211, 21214, 21408, 21610, 21612, 21614}


class TwilioBackend(BaseBackend):
    def __init__(self):
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.SMS_TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(
                to=to, from_=settings.TWILIO_FROM_NUMBER, body=body
            )
        except TwilioRestException as exc:
            permanent = exc.code in PERMANENT_CODES or (
                400 <= exc.status < 500 and exc.status not in (401, 403, 408, 429)
            )
            raise SMSError(
                f"Twilio {exc.status} {exc.code}: {exc.msg}", permanent=permanent
            ) from exc
        except (TwilioException, OSError) as exc:
            # Connection refused, timeouts and other transport failures: worth retrying.
            raise SMSError(f"{type(exc).__name__}: {exc}") from exc
        return message.sid

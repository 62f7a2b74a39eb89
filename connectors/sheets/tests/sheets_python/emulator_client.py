"""gspread pointed at the emulator: its own HTTP client, with Google's hosts swapped."""

import gspread
from google.oauth2.credentials import Credentials
from gspread.http_client import HTTPClient

GOOGLE = ("https://sheets.googleapis.com", "https://www.googleapis.com")


def client_for(base, token):
    """A gspread `Client` that sends every request to the emulator at BASE."""

    class EmulatorClient(HTTPClient):
        def request(self, method, endpoint, *args, **kwargs):
            for host in GOOGLE:
                if endpoint.startswith(host):
                    endpoint = base + endpoint[len(host):]
            return super().request(method, endpoint, *args, **kwargs)

    return gspread.Client(auth=Credentials(token=token), http_client=EmulatorClient)

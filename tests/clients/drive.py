"""Drives the service through a client generated from its own OpenAPI document (by
openapi-python-client): a sign-up, a log-in, a booking and an admin's confirm, as an integrator
would write them. Exits non-zero, saying what went wrong, when any answer is not the documented
one.

Usage: drive.py BASE_URL ADMIN_USERNAME ADMIN_PASSWORD STARTS_AT ENDS_AT
(the generated package `client` must be importable).
"""

import sys

from client import AuthenticatedClient, Client
from client.api.admin import admin_confirm_reservation
from client.api.auth import log_in, sign_up
from client.api.reservations import create_reservation, list_own_reservations
from client.models import Credentials, NewReservationBody, ReservationBody, StatusBody, TokenBody, UserBody
from dateutil.parser import isoparse


def main(base: str, admin_name: str, admin_password: str, starts_at: str, ends_at: str) -> None:
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)
    credentials = Credentials(username="generated_client_user", password="generated-pw-123")
    signed_up = sign_up.sync(client=anonymous, body=credentials)
    assert isinstance(signed_up, UserBody), signed_up
    token = log_in.sync(client=anonymous, body=credentials)
    assert isinstance(token, TokenBody), token

    user = AuthenticatedClient(base_url=base, token=token.access_token, raise_on_unexpected_status=True)
    asked = NewReservationBody(starts_at=isoparse(starts_at), ends_at=isoparse(ends_at), seats=3)
    created = create_reservation.sync(client=user, body=asked, idempotency_key="generated-1")
    assert isinstance(created, ReservationBody), created
    assert created.status == StatusBody.PENDING, created.status
    assert created.seats == 3

    admin_token = log_in.sync(client=anonymous, body=Credentials(username=admin_name, password=admin_password))
    assert isinstance(admin_token, TokenBody), admin_token
    admin = AuthenticatedClient(base_url=base, token=admin_token.access_token, raise_on_unexpected_status=True)
    confirmed = admin_confirm_reservation.sync(client=admin, id=created.id)
    assert isinstance(confirmed, ReservationBody), confirmed
    assert confirmed.status == StatusBody.CONFIRMED, confirmed.status

    own = list_own_reservations.sync(client=user)
    assert own.total == 1 and own.items[0].status == StatusBody.CONFIRMED, own
    print("generated client: sign-up, log-in, booking and confirm all answered as documented")


if __name__ == "__main__":
    main(*sys.argv[1:6])

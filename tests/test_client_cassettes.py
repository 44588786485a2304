"""Parsing of real ActiveCampaign responses, replayed from vcrpy cassettes.

The cassettes (``tests/cassettes/*.yaml``) are generated from the recorded real responses
by ``tests/cassettes/make_cassettes.py``; see ``tests/cassettes/README.md`` for re-recording
them against a real account.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr
from pydantic import SecretStr

from engine.activecampaign.client import Client
from engine.activecampaign.read import read_list
from engine.activecampaign.write.writer import write_contacts
from engine.apply import ContactWrite
from engine.contacts import ListStatus
from engine.errors import AuthError, NotFoundError, PermanentError
from engine.plan import Membership

from .client_fakes import FakeClock

CASSETTES = Path(__file__).parent / "cassettes"
HOST = "example.api-us1.com"

replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query"],
    filter_headers=["Api-Token"],
)


@pytest.fixture
def client() -> Iterator[Client]:
    clock = FakeClock()
    with Client(
        f"https://{HOST}/api/3",
        SecretStr("not-a-real-key"),
        host=HOST,
        key_env="AC_API_KEY",
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(0),
    ) as c:
        yield c


def test_get_list(client: Client) -> None:
    with replay.use_cassette("get_list.yaml") as cassette:
        client.check_list(3)  # raises unless the real answer is read as a list
    assert cassette.play_count == 1


def test_read_list_parses_real_contact_pages(client: Client) -> None:
    with replay.use_cassette("read_list.yaml") as cassette:
        state = read_list(client, 3, ["PERSTAG"], ["Tag name"])
        assert cassette.all_played
    assert set(state.members) == {"samirkhan94@example.com", "someone@somewhere.com"}
    jane = state.members["someone@somewhere.com"]
    assert jane.status is ListStatus.ACTIVE and jane.contact_id == "111"
    assert (jane.contact.first_name, jane.contact.last_name, jane.contact.phone) == (
        "Jane",
        "Doe",
        "123-456-7890",
    )
    # The recorded field value belongs to a contact on no list here: unknown, not guessed.
    assert jane.contact.fields == (("PERSTAG", None),)
    assert jane.contact.tags == frozenset({"Tag name"}) and not jane.removed_by_sync
    assert len(state.fingerprint) == 64


def test_bulk_write_reads_text_html_json_and_import_info(client: Client) -> None:
    writes = [
        ContactWrite("someone@somewhere.com", {"first_name": "Jane"}, (), Membership.SUBSCRIBE)
    ]
    writes += [ContactWrite(f"c{i}@example.com", {}, (), Membership.SUBSCRIBE) for i in range(10)]
    with replay.use_cassette("bulk_write.yaml") as cassette:
        report = write_contacts(client, 12, writes)
        assert cassette.all_played
    # import/info listed someone@somewhere.com in "failure": rejected, the rest applied.
    assert [r.email for r in report.rejected] == ["someone@somewhere.com"]
    assert len(report.applied) == 10 and not report.unknown
    assert report.requests == {"bulk_import": 1, "import_info": 1}


def test_small_write_parses_sync_contact_lists_and_contact_tags(client: Client) -> None:
    write = ContactWrite("samirkhan94@example.com", {}, ("Tag name",), Membership.SUBSCRIBE)
    with replay.use_cassette("small_write.yaml") as cassette:
        report = write_contacts(client, 12, [write])
        assert cassette.all_played
    assert report.applied == ("samirkhan94@example.com",) and report.ok


def test_real_error_bodies(client: Client) -> None:
    with replay.use_cassette("errors.yaml"):
        with pytest.raises(NotFoundError, match="No Result found for Tag with id 31"):
            client.get("tags/31", kind="tag")
        with pytest.raises(
            PermanentError, match=r"Invalid value for query parameter contactTag\.tag"
        ):
            client.request("POST", "contactTags", kind="contact_tag", json={})
        with pytest.raises(AuthError, match="env var AC_API_KEY"):
            client.request("POST", "groups", kind="groups", json={})


def test_cassettes_hold_no_api_token() -> None:
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text()
        assert "Api-Token" not in text and "not-a-real-key" not in text, path

"""engine.emails: the contact key and ActiveCampaign's format rules for addresses."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.emails import email_problem, normalise_email


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Ana@Example.COM\t", "ana@example.com"),
        ("ana@example.com", "ana@example.com"),
        ("", None),
        ("   ", None),
        (None, None),
        (42, "42"),
    ],
)
def test_normalise_email(raw: object, key: str | None) -> None:
    assert normalise_email(raw) == key


@pytest.mark.parametrize(
    "email",
    [
        "a@b.co",
        "ana.lima+news@example.com",
        "first_last-1@mail.example.co.uk",
        "x@sub-domain.example.museum",
        "#!$%&*/=?^`{|}~@example.org",
        "a" * 64 + "@example.com",
        "1234@123.example.io",
    ],
)
def test_valid_addresses(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("", "missing email"),
        ("ana.example.com", "invalid email: no @"),
        ("ana@@example.com", "invalid email: more than one @"),
        ("ana@bo@example.com", "invalid email: more than one @"),
        ("@example.com", "invalid email: nothing before @"),
        ('an"a@example.com', "invalid email: special character '\"'"),
        ("an(a@example.com", "invalid email: special character '('"),
        ("an)a@example.com", "invalid email: special character ')'"),
        ("an,a@example.com", "invalid email: special character ','"),
        ("an:a@example.com", "invalid email: special character ':'"),
        ("an;a@example.com", "invalid email: special character ';'"),
        ("an<a@example.com", "invalid email: special character '<'"),
        ("an>a@example.com", "invalid email: special character '>'"),
        ("an[a@example.com", "invalid email: special character '['"),
        ("an\\a@example.com", "invalid email: special character '\\\\'"),
        ("an]a@example.com", "invalid email: special character ']'"),
        ("ana@example,com", "invalid email: special character ','"),
        ("invalid'character@example.com", 'invalid email: special character "\'"'),
        ("ana@example", "invalid email: no dot in the domain"),
        ("ana@example.c", "invalid email: the domain must end with a dot and at least two letters"),
        (
            "ana@example.c0m",
            "invalid email: the domain must end with a dot and at least two letters",
        ),
        ("ana@example.", "invalid email: the domain must end with a dot and at least two letters"),
        (
            "ana@example.co-",
            "invalid email: the domain must end with a dot and at least two letters",
        ),
        ("ana@.example.com", "invalid email: malformed domain"),
        ("ana@exa..mple.com", "invalid email: malformed domain"),
        ("ana@-example.com", "invalid email: malformed domain"),
        ("ana@exa_mple.com", "invalid email: malformed domain"),
        ("an a@example.com", "invalid email: contains whitespace"),
        ("ana@example.com\n", "invalid email: contains whitespace"),
        ("zoë@example.com", "invalid email: non-ASCII or control character"),
        ("ana@exämple.com", "invalid email: non-ASCII or control character"),
        ("ana\x00@example.com", "invalid email: non-ASCII or control character"),
        (".ana@example.com", "invalid email: misplaced dot before @"),
        ("ana.@example.com", "invalid email: misplaced dot before @"),
        ("a..na@example.com", "invalid email: misplaced dot before @"),
        ("a" * 65 + "@example.com", "invalid email: more than 64 characters before @"),
        ("a@" + "b" * 250 + ".com", "invalid email: longer than 254 characters"),
        ("n/a", "invalid email: no @"),
    ],
)
def test_invalid_addresses_say_why(email: str, reason: str) -> None:
    assert email_problem(email) == reason


local_chars = string.ascii_lowercase + string.digits + "!#$%&*+/=?^_`{|}~-"
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
valid_emails = st.builds(
    lambda local, domain, tld: f"{local}@{'.'.join(domain)}.{tld}",
    st.text(local_chars, min_size=1, max_size=30),
    st.lists(labels, min_size=1, max_size=3),
    st.text(string.ascii_lowercase, min_size=2, max_size=6),
)


@given(valid_emails)
def test_generated_valid_addresses_pass_and_normalising_keeps_them(email: str) -> None:
    assert email_problem(email) is None
    assert normalise_email(f"  {email.upper()} ") == email


@given(valid_emails, st.sampled_from("\"(),:;<>[\\]'"), st.integers(min_value=0))
def test_a_special_character_anywhere_is_refused(email: str, char: str, at: int) -> None:
    position = at % (len(email) + 1)
    broken = email[:position] + char + email[position:]
    assert email_problem(broken) is not None


@given(st.text(max_size=40))
def test_every_address_is_either_valid_or_has_a_reason(text: str) -> None:
    key = normalise_email(text)
    if key is None:
        return
    problem = email_problem(key)
    assert problem is None or problem.startswith(("invalid email", "missing email"))
    if problem is None:
        local, _, domain = key.partition("@")
        assert local and "." in domain and key.isascii()
        assert not set("\"(),:;<>[\\]' ").intersection(key)
        tld = domain.rsplit(".", 1)[1]
        assert len(tld) >= 2 and tld.isalpha()

"""Rewriting a row's values: addresses pseudonymised with their display names, JSON people dropped or
emptied, the person's names out of free text, everything else untouched."""
import json

from pipelines.privacy.redact import Mentions, addresses_in, is_address, replacement_address

ADDRESS = "priya@keystonefreight.com"
REPLACEMENT = replacement_address(ADDRESS, "ab" * 32)


def mentions() -> Mentions:
    return Mentions({ADDRESS: REPLACEMENT})


def test_the_replacement_keeps_the_domain_not_the_person():
    assert REPLACEMENT == "erased.abababababababab@keystonefreight.com"
    assert is_address(REPLACEMENT) and "priya" not in REPLACEMENT


def test_addresses_are_found_in_any_case_and_punctuation():
    text = 'To: "Kumar, Priya" <Priya@KeystoneFreight.com>; cc mailto:ops@x.io. Done.'
    assert addresses_in(text) == {ADDRESS, "ops@x.io"}


def test_header_lists_lose_the_address_with_its_display_name():
    m = mentions()
    header = 'Ravi Lopez <success@penguinmails.com>, Priya Kumar <PRIYA@keystonefreight.com>, "Kumar, P." <priya@keystonefreight.com>'
    m.learn_names(header)
    assert m.names == {"Priya Kumar", "Kumar, P."}
    assert m.redact(header, names_too=True) == f"Ravi Lopez <success@penguinmails.com>, {REPLACEMENT}, {REPLACEMENT}"


def test_only_the_whole_address_is_replaced():
    m = mentions()
    text = f"{ADDRESS}, x{ADDRESS}, {ADDRESS}.org and {ADDRESS}."
    assert m.redact(text, names_too=False) == f"{REPLACEMENT}, x{ADDRESS}, {ADDRESS}.org and {REPLACEMENT}."


def test_json_people_lists_drop_the_person_and_objects_lose_their_personal_fields():
    m = mentions()
    attendees = json.dumps([{"email": "ravi@penguinmails.com", "responseStatus": "accepted"},
                            {"email": ADDRESS, "displayName": "Priya Kumar", "responseStatus": "accepted"}])
    billing = json.dumps({"address": {"city": "Singapore"}, "email": ADDRESS, "name": "Priya Kumar", "phone": "+65 1",
                          "tax_id": None})
    m.learn_names(attendees)
    assert m.names == {"Priya Kumar"}
    assert json.loads(m.redact(attendees, names_too=True)) == [{"email": "ravi@penguinmails.com", "responseStatus": "accepted"}]
    assert json.loads(m.redact(billing, names_too=True)) == {"address": None, "email": REPLACEMENT, "name": None,
                                                            "phone": None, "tax_id": None}


def test_names_leave_free_text_only_where_asked():
    m = mentions()
    m.add_name("Priya Kumar")
    subject = "Re: Welcome to PenguinMails, Priya! (Priya Kumar, Kumaran Ltd)"
    assert m.mentioned_in(subject, names_too=True) and not m.mentioned_in(subject, names_too=False)
    assert m.redact(subject, names_too=True) == "Re: Welcome to PenguinMails, [erased]! ([erased], Kumaran Ltd)"
    assert m.redact(subject, names_too=False) == subject


def test_values_without_the_person_are_left_alone():
    m = mentions()
    for value in ['{"email":"ravi@penguinmails.com"}', "Ravi Lopez <success@penguinmails.com>", "[1, 2]", "plain"]:
        assert not m.mentioned_in(value, names_too=True)

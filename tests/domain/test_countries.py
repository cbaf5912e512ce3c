"""The country codes the record accepts: ISO 3166-1 alpha-2 as assigned (the pycountry data) and the former
states' withdrawn codes, each matched whole."""

from __future__ import annotations

import pycountry
import pytest

from domain.countries import ASSIGNED, FORMER_STATES, is_country_code
from domain.errors import InvalidValueError
from domain.values import Counterparty, PartyKind, State


def test_the_assigned_codes_are_those_of_the_installed_iso_3166_data():
    """The domain keeps its own copy (it imports the standard library alone): a code ISO assigns or withdraws
    fails here until the copy is brought up to date."""
    assert {country.alpha_2 for country in pycountry.countries} == ASSIGNED


def test_each_former_state_is_withdrawn_from_iso_3166_1_and_kept_in_iso_3166_3():
    historic = {(h.alpha_2, h.alpha_4) for h in pycountry.historic_countries}
    for code, states in FORMER_STATES.items():
        assert code not in ASSIGNED
        for alpha_4, _ in states:
            assert (code, alpha_4) in historic


@pytest.mark.parametrize("code", ["CH", "CL", "EE", "NO", "SU", "YU", "CS", "DD"])
def test_codes_in_use_and_former_states_are_accepted(code):
    assert is_country_code(code)
    State(name="A state", country=code).check()
    Counterparty(name="A party", kind=PartyKind.STATE, country=code).check()


@pytest.mark.parametrize("code", ["XX", "ZZ", "XK", "UK", "EU", "ch", "CHE", "", "CH\n", " CH", "ＣＨ", None, 12])
def test_codes_that_are_not_in_use_or_not_whole_are_refused(code):
    assert not is_country_code(code)
    with pytest.raises(InvalidValueError):
        State(name="A state", country=code).check()

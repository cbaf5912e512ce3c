"""People are told apart: a new username must not be taken for another user's, whatever its case or Unicode
form, and letters of two scripts cannot make a lookalike; through the real access service on both backends."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValueError, StageError
from domain.values import Actor, Role

ADMIN = Actor("gwen", Role.ADMIN)


@pytest.fixture
def access(services):
    access = services.access
    access.add_user(ADMIN, "alice", Role.IR_OFFICER)
    access.issue_token(ADMIN, "bruno.m", Role.LEGAL_OFFICER)
    return access


def head(services) -> int:
    return services.app.recorder.max_notification_id() or 0


@pytest.mark.parametrize("name", ["Alice", "ALICE", "aLiCe", "Bruno.M", "BRUNO.M"])
def test_a_name_that_differs_only_in_case_is_taken_for_the_other_user(services, access, name):
    before = head(services)
    with pytest.raises(StageError, match="would be taken for"):
        access.add_user(ADMIN, name, Role.LEGAL_OFFICER)
    with pytest.raises(StageError, match="would be taken for"):
        access.issue_token(ADMIN, name, Role.LEGAL_OFFICER)
    assert head(services) == before


@pytest.mark.parametrize("name", ["ａｌｉｃｅ", "аlice", "alicе", "ali\u0441e", "alice\u200b", "al ice",
                                  "ａlice", "alice\n"])
def test_compatibility_forms_mixed_scripts_and_invisible_characters_are_refused(services, access, name):
    before = head(services)
    with pytest.raises((InvalidValueError, StageError)):
        access.add_user(ADMIN, name, Role.LEGAL_OFFICER)
    assert head(services) == before


def test_a_revoked_users_name_stays_theirs_but_may_be_given_back(services, access):
    access.revoke(ADMIN, "alice")
    with pytest.raises(StageError, match="would be taken for"):
        access.add_user(ADMIN, "Alice", Role.IR_OFFICER)
    access.add_user(ADMIN, "alice", Role.IR_OFFICER)  # the same person again, by the same name
    assert access.active_role("alice") is Role.IR_OFFICER


@pytest.mark.parametrize("name", ["carla", "Zoë", "李雷", "ひらがな漢字", "d.o-e_2"])
def test_names_of_one_script_are_accepted(access, name):
    access.add_user(ADMIN, name, Role.LEGAL_OFFICER)
    assert access.active_role(name) is Role.LEGAL_OFFICER

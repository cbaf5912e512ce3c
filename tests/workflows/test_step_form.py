"""The questions a caller asks of the step service before and while taking a step, through a real store: the
form of a step (``step_form``), and a step request read only once its caller may take the step."""

from __future__ import annotations

from uuid import uuid4

import pytest

from bootstrap.services import Services
from domain.values import Actor, Role, Stage, StepContext
from tests.workflows.two_workers import ALICE, TEXT, started
from workflows.definitions import CURRENT
from workflows.errors import ForbiddenError, NotFoundError, UnknownStepError
from workflows.steps import StepRequest

BRUNO, EVA, GWEN = Actor("bruno", Role.LEGAL_OFFICER), Actor("eva", Role.AUDITOR), Actor("gwen", Role.ADMIN)


def test_the_form_of_a_step_gives_its_definition_and_the_aggregate_as_read_and_records_nothing(services):
    agreement_id, version = started(services)
    services.agreements.take_step(agreement_id, "attach_text", TEXT, ALICE, version, StepContext())
    head = services.app.recorder.max_notification_id()

    form = services.agreements.step_form(agreement_id, "complete_legal_review", BRUNO)

    assert (form.aggregate_id, form.kind, form.version, form.workflow_version, form.stage) == (
        agreement_id, "agreement", 2, CURRENT["agreement"].version, Stage.DRAFTING)
    assert form.step == CURRENT["agreement"].step("complete_legal_review")
    assert [(f.name, f.type, f.required, f.choices) for f in form.step.fields] == [
        ("outcome", "enum", True, ("cleared", "changes_requested")), ("comments", "text", False, ())]
    assert services.app.recorder.max_notification_id() == head


def test_the_form_of_a_step_is_refused_as_taking_it_would_be(services):
    agreement_id, _ = started(services)
    with pytest.raises(ForbiddenError):
        services.agreements.step_form(agreement_id, "complete_legal_review", ALICE)  # a legal step
    with pytest.raises(ForbiddenError):
        services.agreements.step_form(agreement_id, "withdraw", EVA)  # a reader who takes no step
    with pytest.raises(ForbiddenError):
        services.agreements.step_form(uuid4(), "withdraw", GWEN)  # who may not read learns no id
    with pytest.raises(NotFoundError):
        services.agreements.step_form(uuid4(), "withdraw", ALICE)
    with pytest.raises(UnknownStepError):
        services.agreements.step_form(agreement_id, "sign_in_blood", ALICE)
    with pytest.raises(NotFoundError):
        services.enlargements.step_form(agreement_id, "withdraw", ALICE)  # an agreement is no enlargement


@pytest.fixture
def elsewhere(services):
    """Another process on the same store, which has not seen anything yet."""
    other = Services(services.storage)
    yield other
    other.close()


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "loaded"])
def test_a_step_request_is_read_with_the_aggregates_step_once_its_caller_may_take_it(services, elsewhere, cached):
    agreement_id, version = started(services)
    service = services.agreements if cached else elsewhere.agreements
    read = []

    def reader(workflow, step):
        read.append((workflow.kind, workflow.version, step.name))
        return StepRequest(fields=TEXT, expected_version=version, context=StepContext(reason="First draft."))

    with pytest.raises(ForbiddenError):
        service.take_requested_step(agreement_id, "complete_legal_review", ALICE, reader)
    assert read == [], "nothing is read of a request its caller may not make"
    outcome = service.take_requested_step(agreement_id, "attach_text", ALICE, reader)
    assert read == [("agreement", CURRENT["agreement"].version, "attach_text")]
    assert outcome.aggregate.version == version + 1 and outcome.aggregate.current_text.title == "Draft 1"
    [*_, entry] = services.agreements.history(agreement_id)
    assert (entry.type, entry.reason) == ("attach_text", "First draft.")

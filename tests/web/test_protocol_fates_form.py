"""The terminate form of an agreement with open protocols asks what becomes of each (a row per protocol:
terminate with it, or keep with a reason), through the Flask client on SQLite and PostgreSQL; a form that
leaves one out comes back refused and records nothing."""

from __future__ import annotations

from tests.projections.helpers import Walk, party
from tests.web.conftest import signed_in
from tests.web.test_step_forms import forms_on, page_text, send

BULGARIA = [party("Bulgaria", "state", "BG")]


def test_the_terminate_form_has_a_row_per_open_protocol_and_records_each_fate(services, people, visitor):
    framework = Walk(services.agreements, "alice", title="Framework agreement with Bulgaria",
                     kind="framework_agreement", counterparties=BULGARIA).to_force("2024-12-01")
    computing = Walk(services.agreements, "alice", title="Protocol on computing", kind="protocol",
                     counterparties=BULGARIA, parent_id=str(framework.id)).to_force("2024-12-02")
    training = Walk(services.agreements, "alice", title="Protocol on training", kind="protocol",
                    counterparties=BULGARIA, parent_id=str(framework.id))
    bruno = signed_in(visitor, "bruno")
    form = forms_on(bruno.get(f"/agreements/{framework.id}/steps"))["terminate"]

    assert f'name="protocols-{computing.id}-fate"' in form["html"]
    assert f'name="protocols-{training.id}-reason"' in form["html"]
    assert "Protocol on computing" in form["html"] and "Protocol on training" in form["html"]
    before = services.app.recorder.max_notification_id()

    left_out = send(bruno, form, effective_on="2025-06-30", **{f"protocols-{computing.id}-fate": "terminate"})
    assert left_out.status_code == 422
    refusal = page_text(left_out)
    assert "Say what becomes of each open protocol" in refusal and "Protocol on training (" in refusal
    assert 'value="terminate" selected' in left_out.get_data(as_text=True), "what was chosen is kept"
    assert services.app.recorder.max_notification_id() == before

    taken = send(bruno, form, effective_on="2025-06-30", **{
        f"protocols-{computing.id}-fate": "terminate", f"protocols-{training.id}-fate": "keep",
        f"protocols-{training.id}-reason": "It will serve the next agreement."})
    assert taken.status_code == 303, page_text(taken)
    assert services.agreements.get(computing.id).status.value == "terminated"
    assert services.agreements.get(training.id).stage.value == "drafting"
    page = page_text(bruno.get(f"/agreements/{framework.id}"))
    assert "It will serve the next agreement." in page

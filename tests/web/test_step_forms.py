"""Taking steps through the pages, on SQLite and PostgreSQL: "What you can do now" offers only the steps that
would pass and lists what the others wait for; each step's form is drawn from its definition and read by the
API's schema; a stale form records nothing and says who changed the process; a form sent twice records once;
a refusal shows the rule's message and keeps what was typed; new agreements and enlargements from their forms."""

from __future__ import annotations

import hashlib
import io
import re
from html import unescape
from uuid import UUID

import pytest
from flask import g
from markupsafe import Markup

from domain.values import Actor, Role
from tests.web.conftest import OPERATOR, head, password_of, recorded, signed_in

T = "accord.agreement:"
FORM = re.compile(r'<form method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([\w-]+)" value="([^"]*)">')


@pytest.fixture
def carla(services, people) -> str:
    """A second legal officer, for the four eyes."""
    services.signin.add_user(OPERATOR, "carla", Role.LEGAL_OFFICER)
    services.signin.set_password(OPERATOR, "carla", password_of("carla"))
    return "carla"


def forms_on(page) -> dict[str, dict[str, str]]:
    """Each step form on a page, by the step it takes: its hidden fields (the CSRF token, the version it was
    drawn from, its idempotency key) and the HTML inside it."""
    found = {}
    for action, inner in FORM.findall(page.get_data(as_text=True)):
        if "/steps/" in action:
            found[action.rsplit("/", 1)[1]] = {**dict(HIDDEN.findall(inner)), "action": unescape(action),
                                               "html": inner}
    return found


def send(person, form: dict[str, str], **fields):
    """Send a form as it was drawn, with ``fields`` typed in."""
    data = {k: v for k, v in form.items() if k not in ("action", "html")}
    return person.client.post(form["action"], data={**data, **fields}, content_type="multipart/form-data")


def page_text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def new_agreement(alice) -> UUID:
    created = alice.submit("/agreements/new", {
        "title": "ICA with Chile", "kind": "protocol", "counterparties-0-name": "Republic of Chile",
        "counterparties-0-kind": "state", "counterparties-0-country": "cl"})
    assert created.status_code == 303, created.get_data(as_text=True)
    return UUID(created.headers["Location"].split("/")[2])


def steps_page(person, agreement_id: UUID):
    page = person.get(f"/agreements/{agreement_id}/steps")
    assert page.status_code == 200
    return page


def take(person, agreement_id: UUID, step: str, **fields):
    taken = send(person, forms_on(steps_page(person, agreement_id))[step], **fields)
    assert taken.status_code == 303, page_text(taken)
    return taken


def test_a_new_agreement_is_made_from_its_form_and_offers_what_would_pass(services, people, visitor):
    alice = signed_in(visitor, "alice")
    form = alice.get("/agreements/new").get_data(as_text=True)
    assert '<label for="title">Title</label>' in form and '<select id="kind" name="kind"' in form
    before = head(services)

    agreement_id = new_agreement(alice)

    assert recorded(services, before) == [(T + "Created", "alice")]
    agreement = services.agreements.get(agreement_id)
    assert (agreement.title, agreement.counterparties[0].country) == ("ICA with Chile", "CL")
    page = steps_page(alice, agreement_id)
    assert list(forms_on(page)) == ["attach_text", "withdraw"]
    text = page_text(page)
    assert "ICA with Chile: created." in text and "What you can do now" in text
    assert "Request legal review: waits for a text to be attached" in text
    assert "Open negotiation: waits for a text cleared by the Legal Service" in text
    attach = forms_on(page)["attach_text"]["html"]
    assert 'type="file" id="attach_text-document" name="document"' in attach
    assert '<label for="attach_text-reason">Reason</label>' in attach
    assert '<label for="attach_text-reference">Reference</label>' in attach
    assert '<button type="submit" class="button">Attach text</button>' in attach
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)


def test_the_new_agreement_form_refuses_what_the_api_refuses_and_keeps_what_was_typed(services, people, visitor):
    alice = signed_in(visitor, "alice")
    before = head(services)
    refused = alice.submit("/agreements/new", {"title": "Half done", "counterparties-1-name": "Peru",
                                               "counterparties-1-country": "PER"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="Half done"' in html and 'value="Peru"' in html
    assert 'id="kind-error"' in html and 'id="counterparties-1-kind-error"' in html
    assert 'id="counterparties-1-country-error"' in html and "ISO 3166-1 alpha-2" in html
    assert head(services) == before
    bruno = signed_in(visitor, "bruno")
    assert bruno.get("/agreements/new").status_code == 403


def test_a_new_agreement_form_sent_twice_creates_one_agreement(services, people, visitor):
    alice = signed_in(visitor, "alice")
    page = alice.get("/agreements/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
    fields = {"title": "Once", "kind": "protocol", "counterparties-0-name": "Chile", "counterparties-0-kind": "state",
              "idempotency_key": key}
    before = head(services)
    first, second = alice.submit("/agreements/new", fields), alice.submit("/agreements/new", fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert recorded(services, before) == [(T + "Created", "alice")]


def test_a_new_enlargement_is_made_from_its_form(services, people, visitor):
    alice = signed_in(visitor, "alice")
    refused = alice.submit("/enlargements/new", {"state-name": "Cyprus", "state-country": "Cyprus",
                                                 "target": "member"})
    assert refused.status_code == 422
    assert 'id="state-country-error"' in refused.get_data(as_text=True)
    assert 'id="applied_on-error"' in refused.get_data(as_text=True)
    created = alice.submit("/enlargements/new", {"state-name": "Cyprus", "state-country": "cy", "target": "member",
                                                 "applied_on": "2016-10-12", "reference": "CERN/1234"})
    assert created.status_code == 303
    page = alice.get(created.headers["Location"])
    assert list(forms_on(page)) == ["establish_task_force", "authorise_negotiation", "withdraw"]
    assert "Submit task force report: waits for the task force to be established" in page_text(page)
    html = forms_on(page)["establish_task_force"]["html"]
    assert '<label for="establish_task_force-decided_on">Decided on</label>' in html
    assert 'type="date" id="establish_task_force-decided_on" name="decided_on" required' in html


def test_a_text_is_attached_by_choosing_a_file_whose_sha256_accord_computes(services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = new_agreement(alice)
    content = b"%PDF-1.7 the agreement's text"
    form = forms_on(steps_page(alice, agreement_id))["attach_text"]
    taken = send(alice, form, document=(io.BytesIO(content), "ica-chile-v1.pdf", "application/pdf"),
                 reason="First draft")
    assert taken.status_code == 303
    text = services.agreements.get(agreement_id).current_text
    assert (text.title, text.sha256, text.media_type) == ("ica-chile-v1.pdf", hashlib.sha256(content).hexdigest(),
                                                          "application/pdf")
    missing = send(alice, forms_on(steps_page(alice, agreement_id))["attach_text"])
    assert missing.status_code == 422 and 'id="attach_text-document-error"' in missing.get_data(as_text=True)
    before = head(services)
    page = send(alice, forms_on(steps_page(alice, agreement_id))["attach_text"],
                document=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "draft.pdf", "application/pdf"))
    assert page.status_code == 422 and 'id="attach_text-document-error"' in page.get_data(as_text=True)
    assert "is not a PDF, DOCX, ODT, UTF-8 plain text, PNG or JPEG document" in page_text(page)
    assert head(services) == before
    assert services.db.query("SELECT COUNT(*) AS n FROM documents")[0]["n"] == 1


def test_a_text_larger_than_an_api_body_may_be_attached_and_other_forms_keep_the_limit(site, services, people,
                                                                                       visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = new_agreement(alice)
    content = b"%PDF-1.7\n" + bytes(range(256)) * 8192  # 2 MiB, beyond MAX_CONTENT_LENGTH
    assert len(content) > site.config["MAX_CONTENT_LENGTH"]
    taken = send(alice, forms_on(steps_page(alice, agreement_id))["attach_text"],
                 document=(io.BytesIO(content), "annexes.pdf", "application/pdf"))
    assert taken.status_code == 303
    assert services.agreements.get(agreement_id).current_text.sha256 == hashlib.sha256(content).hexdigest()
    before = head(services)
    too_large = send(alice, forms_on(steps_page(alice, agreement_id))["withdraw"], reason="x" * len(content))
    assert too_large.status_code == 413
    assert head(services) == before


def test_the_attacher_is_not_offered_the_review_another_legal_officer_is_and_forcing_it_is_refused(
        services, people, carla, visitor):
    alice, bruno, carla_ = (signed_in(visitor, name) for name in ("alice", "bruno", "carla"))
    agreement_id = new_agreement(alice)
    take(bruno, agreement_id, "attach_text", document=(io.BytesIO(b"v1"), "v1.pdf"))
    take(alice, agreement_id, "request_legal_review")

    bruno_page = steps_page(bruno, agreement_id)
    assert "complete_legal_review" not in forms_on(bruno_page)
    assert "Complete legal review: waits for another legal officer: you attached this text" in page_text(bruno_page)
    offered = forms_on(steps_page(carla_, agreement_id))["complete_legal_review"]
    assert '<select id="complete_legal_review-outcome" name="outcome" required' in offered["html"]
    assert '<option value="changes_requested">Changes requested</option>' in offered["html"]
    assert '<textarea id="complete_legal_review-comments" name="comments"' in offered["html"]

    forced_form = bruno.get(f"/agreements/{agreement_id}/steps/complete_legal_review")
    assert "waits for another legal officer" in page_text(forced_form)
    before = head(services)
    forced = send(bruno, forms_on(forced_form)["complete_legal_review"], outcome="cleared", comments="Mine, fine.")
    assert forced.status_code == 422
    assert "The text must be reviewed by someone other than who attached it" in page_text(forced)
    assert "Mine, fine." in forced.get_data(as_text=True) and 'value="cleared" selected' in forced.get_data(
        as_text=True)
    assert head(services) == before
    take(carla_, agreement_id, "complete_legal_review", outcome="cleared")
    assert services.agreements.get(agreement_id).reviewed_by == "carla"


def test_an_officer_is_told_which_step_waits_on_another_role(services, people, visitor):
    alice, bruno = signed_in(visitor, "alice"), signed_in(visitor, "bruno")
    agreement_id = new_agreement(alice)
    take(alice, agreement_id, "attach_text", document=(io.BytesIO(b"v1"), "v1.pdf"))
    take(alice, agreement_id, "request_legal_review")

    assert "Waiting on others Complete legal review: for a legal officer" in page_text(steps_page(alice, agreement_id))
    assert "Waiting on others" not in page_text(steps_page(bruno, agreement_id))  # bruno is the one it waits for


def test_a_stale_form_records_nothing_and_says_who_changed_the_agreement_meanwhile(services, people, visitor):
    alice, dmitri = signed_in(visitor, "alice"), signed_in(visitor, "bruno")
    agreement_id = new_agreement(alice)
    stale = forms_on(steps_page(alice, agreement_id))["attach_text"]
    take(dmitri, agreement_id, "attach_text", document=(io.BytesIO(b"bruno's"), "b.pdf"))
    before = head(services)

    refused = send(alice, stale, document=(io.BytesIO(b"alice's"), "a.pdf"), reason="My draft")

    assert refused.status_code == 409
    assert "Changed meanwhile by bruno: review and submit again" in page_text(refused)
    assert "Recorded since your form was drawn: Attach text by bruno," in page_text(refused)
    assert "My draft" in refused.get_data(as_text=True)
    assert forms_on(refused)["attach_text"]["version"] == "2"
    assert head(services) == before
    again = forms_on(refused)["attach_text"]
    assert again["document-kept-title"] == "a.pdf", "the file chosen need not be chosen again"
    assert send(alice, again, reason="My draft").status_code == 303
    kept = services.agreements.get(agreement_id).current_text
    assert (kept.title, kept.sha256) == ("a.pdf", hashlib.sha256(b"alice's").hexdigest())


def test_a_form_sent_twice_records_once(services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = new_agreement(alice)
    take(alice, agreement_id, "attach_text", document=(io.BytesIO(b"v1"), "v1.pdf"))
    form = forms_on(steps_page(alice, agreement_id))["request_legal_review"]
    before = head(services)
    first, second = send(alice, form, reference="LS/1"), send(alice, form, reference="LS/1")
    assert first.status_code == second.status_code == 303
    assert recorded(services, before) == [(T + "LegalReviewRequested", "alice")]
    assert "recorded once" in page_text(alice.get(second.headers["Location"]))
    changed = send(alice, form, reference="LS/2")  # the same form, sent once more with other values
    assert changed.status_code == 409
    assert "Not recorded: this form was sent before with other values, and that was recorded" in page_text(
        changed)
    assert forms_on(changed)["request_legal_review"]["idempotency_key"] != form["idempotency_key"]
    assert len(recorded(services, before)) == 1
    for version in ("", "0", "-1", "2.0", "99999999999999999999"):
        assert send(alice, {**form, "version": version}).status_code == 400, version
    assert len(recorded(services, before)) == 1


def test_a_refusal_shows_the_rules_message_beside_the_form_and_keeps_what_was_typed(services, people, carla,
                                                                                  visitor):
    alice, bruno = signed_in(visitor, "alice"), signed_in(visitor, "bruno")
    agreement_id = new_agreement(alice)
    take(alice, agreement_id, "attach_text", document=(io.BytesIO(b"v1"), "v1.pdf"))
    take(alice, agreement_id, "request_legal_review")
    take(bruno, agreement_id, "complete_legal_review", outcome="cleared")
    take(alice, agreement_id, "open_negotiation")
    missing = send(alice, forms_on(steps_page(alice, agreement_id))["record_round"], summary="Kick-off")
    assert missing.status_code == 422
    assert 'id="record_round-held_on-error"' in missing.get_data(as_text=True)
    assert "Kick-off" in missing.get_data(as_text=True)
    take(alice, agreement_id, "record_round", held_on="2025-01-20", summary="Kick-off")
    take(alice, agreement_id, "finalise_text")
    signature = forms_on(steps_page(alice, agreement_id))["record_signature"]["html"]
    assert 'list="record_signature-party-suggestions"' in signature
    assert re.findall(r'<option value="([^"]+)"></option>', signature) == ["CERN", "Republic of Chile"]
    take(alice, agreement_id, "record_signature", party="CERN", signatory="DG", signed_on="2025-03-01")
    assert re.findall(r'<option value="([^"]+)"></option>', forms_on(steps_page(alice, agreement_id))[
        "record_signature"]["html"]) == ["Republic of Chile"]
    assert "Enter into force: waits for the signature of Republic of Chile" in page_text(steps_page(bruno,
                                                                                                     agreement_id))
    take(alice, agreement_id, "record_signature", party="Republic of Chile", signatory="Minister",
         signed_on="2025-03-04")
    before = head(services)

    early = send(bruno, forms_on(steps_page(bruno, agreement_id))["enter_into_force"], effective_on="2025-03-02",
                 reason="Both signed")

    assert early.status_code == 422
    html = early.get_data(as_text=True)
    assert 'id="enter_into_force-effective_on-error"' in html and "cannot precede the last signature" in html
    assert 'value="2025-03-02"' in html and "Both signed" in html
    assert head(services) == before
    take(bruno, agreement_id, "enter_into_force", effective_on="2025-04-01")
    assert services.agreements.get(agreement_id).status.value == "in_force"


def test_the_steps_panel_is_a_jinja_global_and_readers_who_take_no_step_get_none(site, services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = new_agreement(alice)
    eva = signed_in(visitor, "eva")
    page = eva.get(f"/agreements/{agreement_id}/steps")
    assert page.status_code == 200 and "What you can do now" not in page_text(page)
    assert signed_in(visitor, "gwen").get(f"/agreements/{agreement_id}/steps").status_code == 403
    panel = site.jinja_env.globals["steps_panel"]
    with site.test_request_context():
        g.person = Actor("alice", Role.IR_OFFICER)
        section = panel("agreement", agreement_id)
    assert isinstance(section, Markup) and 'aria-labelledby="steps-now-title"' in section


def test_a_form_without_its_csrf_token_or_for_an_unknown_step_records_nothing(services, people, visitor):
    alice = signed_in(visitor, "alice")
    agreement_id = new_agreement(alice)
    form = forms_on(steps_page(alice, agreement_id))["withdraw"]
    before = head(services)
    forged = alice.client.post(form["action"], data={"version": form["version"]})
    assert forged.status_code == 400 and "Form refused" in page_text(forged)
    unknown = alice.client.post(f"/agreements/{agreement_id}/steps/sign_in_blood",
                                data={"csrf_token": form["csrf_token"], "version": "1"})
    assert unknown.status_code == 404
    assert alice.get(f"/agreements/{agreement_id}/steps/sign_in_blood").status_code == 404
    assert head(services) == before


def test_an_enlargement_goes_through_its_forms_with_a_report_signatories_and_a_required_reason(
        services, people, carla, visitor):
    alice, bruno, carla_ = (signed_in(visitor, name) for name in ("alice", "bruno", "carla"))
    created = alice.submit("/enlargements/new", {"state-name": "Cyprus", "state-country": "CY", "target": "member",
                                                 "applied_on": "2016-10-12"})
    process_id = UUID(created.headers["Location"].split("/")[2])

    def take_on(person, step, **fields):
        page = person.get(f"/enlargements/{process_id}/steps")
        taken = send(person, forms_on(page)[step], **fields)
        assert taken.status_code == 303, page_text(taken)

    take_on(alice, "establish_task_force", decided_on="2017-03-01")
    take_on(alice, "submit_task_force_report", submitted_on="2018-06-01",
            document=(io.BytesIO(b"report"), "task-force-report.pdf", "application/pdf"))
    take_on(alice, "authorise_negotiation", decided_on="2019-01-10")
    take_on(bruno, "attach_text", document=(io.BytesIO(b"text"), "agreement.pdf"))
    take_on(alice, "request_legal_review")
    take_on(carla_, "complete_legal_review", outcome="cleared")
    take_on(alice, "approve_agreement", decided_on="2019-06-20")
    signing = forms_on(alice.get(f"/enlargements/{process_id}/steps"))["sign_agreement"]["html"]
    assert '<textarea id="sign_agreement-signatories" name="signatories" required' in signing
    take_on(alice, "sign_agreement", signed_on="2019-07-01", signatories="President of Cyprus\nDirector-General\n")
    take_on(bruno, "notify_ratification", notified_on="2020-01-15")
    take_on(bruno, "enter_into_force", effective_on="2020-02-01")
    page = bruno.get(f"/enlargements/{process_id}/steps")
    ending = forms_on(page)["end_participation"]
    assert ending["html"].count('name="reason"') == 1 and 'id="end_participation-reason" name="reason" required' in (
        ending["html"])
    before = head(services)
    no_reason = send(bruno, ending, effective_on="2030-01-01")
    assert no_reason.status_code == 422 and 'id="end_participation-reason-error"' in no_reason.get_data(as_text=True)
    assert head(services) == before
    take_on(bruno, "end_participation", effective_on="2030-01-01", reason="Withdrawal notified by Cyprus")

    process = services.enlargements.get(process_id)
    assert process.signatories == ["President of Cyprus", "Director-General"]
    assert process.task_force_report.title == "task-force-report.pdf"
    assert (process.stage.value, str(process.ended_on)) == ("closed", "2030-01-01")
    assert services.enlargements.ending_of(process_id).context.reason == "Withdrawal notified by Cyprus"

"""Demo data: a handful of realistic agreements in different stages, taken through the real commands.

Every create and step carries an idempotency key derived from the demo's own names, so running the seed
again replays the recorded results instead of adding anything.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import string
from collections.abc import Callable
from typing import Any

from bootstrap.seed import drafts
from domain.values import Actor, Role, StepContext
from workflows.access import AccessService
from workflows.agreements import AgreementService
from workflows.signin import SignInService
from workflows.steps import Outcome

DEMO_USERS = {
    "alice": Role.IR_OFFICER,
    "bruno": Role.LEGAL_OFFICER,
    "carla": Role.LEGAL_OFFICER,
    "dmitri": Role.IR_OFFICER,
    "eva": Role.AUDITOR,
    "farid": Role.MANAGEMENT,
    "gwen": Role.ADMIN,
}


def _sha(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


class Script:
    """Walks one agreement through steps, each under a stable idempotency key."""

    def __init__(self, service: AgreementService, slug: str):
        self.service, self.slug, self.count = service, slug, 0
        self.outcome: Outcome | None = None

    def _context(self, reason: str | None, reference: str | None) -> StepContext:
        self.count += 1
        return StepContext(reason=reason, reference=reference, idempotency_key=f"demo:{self.slug}:{self.count}")

    def create(self, by: str, reason: str | None = None, reference: str | None = None, **fields: Any) -> Script:
        self.outcome = self.service.create(fields, _actor(by), self._context(reason, reference))
        return self

    def step(self, by: str, step: str, reason: str | None = None, reference: str | None = None,
             **fields: Any) -> Script:
        assert self.outcome is not None
        agreement = self.outcome.aggregate
        self.outcome = self.service.take_step(agreement.id, step, fields, _actor(by), agreement.version,
                                              self._context(reason, reference))
        return self

    def text(self, by: str, title: str) -> Script:
        """Upload a short text of the draft (as its officer would), then attach it by its hash."""
        data = f"{title}\n\nThe text of this draft, as the demo has it.\n".encode()
        record, _ = self.service.documents.upload(_actor(by), io.BytesIO(data), f"{title}.txt")
        return self.step(by, "attach_text", document={"title": title, "sha256": record.sha256})

    def draft(self, by: str, title: str, data: bytes, filename: str) -> Script:
        """Attach a real file as the next text: uploaded to the vault (the same bytes are kept once, so a
        second run uploads nothing new), then attached by its sha256."""
        stored, _ = self.service.documents.upload(_actor(by), io.BytesIO(data), filename)
        return self.step(by, "attach_text", document={"title": title, "sha256": stored.sha256})

    def cleared(self, reviewer: str, requester: str = "alice") -> Script:
        return (self.step(requester, "request_legal_review")
                .step(reviewer, "complete_legal_review", outcome="cleared", comments="No objection."))

    @property
    def id(self) -> Any:
        assert self.outcome is not None
        return self.outcome.aggregate.id


def _actor(name: str) -> Actor:
    return Actor(name=name, role=DEMO_USERS[name])


def seed_demo(agreements: AgreementService, access: AccessService, admin: Actor,
              say: Callable[[str], None] = print) -> dict[str, str]:
    """Create the demo users (a fresh token each run) and agreements; return the tokens by user."""
    tokens = {}
    for name, role in DEMO_USERS.items():
        user = access.users_by_name().get(name)
        tokens[name] = access.issue_token(admin, name, role, new_user=not (user and user.active))

    chile = Script(agreements, "chile-ica").create(
        "alice", title="International Co-operation Agreement between CERN and the Republic of Chile",
        kind="international_cooperation_agreement",
        counterparties=[{"name": "Republic of Chile", "kind": "state", "country": "CL"}],
        summary="Scientific and technical co-operation in high-energy physics.",
        initial_period_months=60, renewal_rule="tacit", renewal_period_months=60, notice_period_months=6,
        reason="Chile asked to formalise its institutes' participation.")
    chile.text("alice", "Chile ICA draft v1").cleared("bruno")
    chile.step("dmitri", "open_negotiation", reference="IR-2024-117")
    chile.step("alice", "record_round", held_on="2024-09-12", summary="First round in Santiago.")
    chile.step("alice", "finalise_text")
    chile.step("alice", "record_signature", party="CERN", signatory="Director-General", signed_on="2024-11-04",
               place="Geneva")
    chile.step("bruno", "record_signature", party="Republic of Chile", signatory="Minister of Science",
               signed_on="2024-11-20", place="Santiago")
    chile.step("carla", "enter_into_force", effective_on="2024-12-01")
    chile.step("alice", "record_milestone", on="2025-03-15", summary="Joint committee met for the first time.")
    say(f"  in force:          {chile.id}  Chile ICA")

    protocol = Script(agreements, "chile-cms-protocol").create(
        "alice", title="Protocol to the Chile ICA on participation in the CMS experiment", kind="protocol",
        counterparties=[{"name": "Republic of Chile", "kind": "state", "country": "CL"}],
        parent_id=chile.id, expires_on="2030-12-31")
    protocol.text("bruno", "CMS protocol v1").cleared("carla")
    protocol.step("alice", "open_negotiation").step("dmitri", "finalise_text")
    protocol.step("alice", "record_signature", party="CERN", signatory="Director for Research",
                  signed_on="2025-02-03")
    protocol.step("alice", "record_signature", party="Republic of Chile", signatory="Ambassador in Geneva",
                  signed_on="2025-02-10")
    protocol.step("bruno", "enter_into_force", effective_on="2025-02-10")
    say(f"  in implementation: {protocol.id}  Chile CMS protocol")

    mongolia = Script(agreements, "mongolia-ica").create(
        "dmitri", title="International Co-operation Agreement between CERN and Mongolia",
        kind="international_cooperation_agreement",
        counterparties=[{"name": "Mongolia", "kind": "state", "country": "MN"}],
        expires_on="2031-06-30")
    mongolia.draft("dmitri", "Mongolia ICA draft v1", drafts.pdf(drafts.MONGOLIA_DRAFT_1, "Mongolia ICA draft v1"),
                   "mongolia-ica-draft-1.pdf").cleared("carla", requester="dmitri")
    mongolia.step("dmitri", "open_negotiation")
    mongolia.step("dmitri", "record_round", held_on="2025-05-20", summary="Scope of training programme agreed.")
    mongolia.draft("carla", "Mongolia ICA draft v2", drafts.docx(drafts.MONGOLIA_DRAFT_2), "mongolia-ica-draft-2.docx")
    mongolia.step("dmitri", "request_legal_review", reason="Counter-proposal on article 4.")
    say(f"  under negotiation: {mongolia.id}  Mongolia ICA (legal review pending)")

    mou = Script(agreements, "institute-mou").create(
        "alice", title="Memorandum of Understanding with the Institute for Advanced Detector Studies",
        kind="memorandum_of_understanding",
        counterparties=[{"name": "Institute for Advanced Detector Studies", "kind": "institute",
                         "country": "PT"}])
    mou.text("alice", "Detector MoU v1")
    mou.step("alice", "withdraw", reason="The institute joined the consortium MoU instead.")
    say(f"  withdrawn:         {mou.id}  institute MoU")

    framework = Script(agreements, "ecfa-framework").create(
        "dmitri", title="Framework agreement on accelerator R&D with the European Spallation Source",
        kind="framework_agreement",
        counterparties=[{"name": "European Spallation Source ERIC", "kind": "organisation", "country": "SE"}],
        expires_on="2029-12-31")
    framework.text("dmitri", "ESS framework v1").cleared("bruno", requester="dmitri")
    framework.step("dmitri", "open_negotiation").step("alice", "finalise_text")
    framework.step("bruno", "record_signature", party="CERN", signatory="Director-General",
                   signed_on="2025-10-01")
    say(f"  awaiting signature:{framework.id}  ESS framework agreement")

    draft = Script(agreements, "kenya-mou").create(
        "alice", title="Memorandum of Understanding with the University of Nairobi",
        kind="memorandum_of_understanding",
        counterparties=[{"name": "University of Nairobi", "kind": "institute", "country": "KE"}])
    say(f"  drafting:          {draft.id}  Nairobi MoU")
    return tokens


def demo_passwords(signin: SignInService, admin: Actor) -> dict[str, str]:
    """Give every demo user a fresh password (each run), to sign in to the pages; return them by user. Letters
    and digits only, easy to copy from a terminal."""
    passwords = {}
    for name in DEMO_USERS:
        passwords[name] = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))
        signin.set_password(admin, name, passwords[name], how="demo")
    return passwords

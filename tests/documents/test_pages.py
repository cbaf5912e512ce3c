"""The pages and the vault: a text chosen in the attach-text form is kept in the vault and bound to the step, and
the agreement's page links to its bytes, served by the same rules and headers as the API's download."""

from __future__ import annotations

import hashlib
import io

from tests.documents import samples
from tests.web.conftest import people, services, signed_in, site, visitor  # noqa: F401 - the pages' fixtures
from tests.web.test_step_forms import new_agreement, take


def test_a_text_chosen_in_the_form_is_kept_bound_and_downloadable_from_the_agreements_page(services,  # noqa: F811
                                                                                           people, visitor):  # noqa: F811
    alice = signed_in(visitor, "alice")
    agreement_id = new_agreement(alice)
    data = samples.docx("Article 1")
    take(alice, agreement_id, "attach_text", document=(io.BytesIO(data), "Draft 1.docx"))
    text = services.agreements.get(agreement_id).current_text
    assert (text.sha256, text.size, text.filename) == (hashlib.sha256(data).hexdigest(), len(data), "Draft 1.docx")

    link = f"/documents/{text.sha256}"
    page = signed_in(visitor, "eva").get(f"/agreements/{agreement_id}").get_data(as_text=True)
    assert f'href="{link}"' in page
    eva = signed_in(visitor, "eva").get(link)
    assert (eva.status_code, eva.get_data() == data) == (200, True)
    assert eva.headers["X-Content-Type-Options"] == "nosniff"
    assert eva.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert eva.headers["Content-Disposition"].startswith('attachment; filename="Draft 1.docx"')
    assert signed_in(visitor, "eva").get(link, headers={"If-None-Match": f'"{text.sha256}"'}).status_code == 304
    assert signed_in(visitor, "gwen").get(link).status_code == 404
    assert signed_in(visitor, "eva").get(f"/documents/{'0' * 64}").status_code == 404
    assert visitor().get(link).status_code == 302  # to the sign-in page

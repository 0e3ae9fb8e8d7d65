"""The language links keep the list's filters and page, and after a form lead to a page that answers a GET."""

from __future__ import annotations

import re

from tests.admin.conftest import ADMIN, AdminSite
from tests.admin.examples import draft_campaign

LINK = re.compile(r'<a lang="(?:en|pt|zh-Hant)" href="([^"]+)"')


async def test_switching_language_keeps_the_filters(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    _, html, _ = await admin.get("/app/classifications?status=open&level=internal&lang=en")
    links = [link.replace("&amp;", "&") for link in LINK.findall(html)]
    assert links == ["/app/classifications?status=open&level=internal&lang=zh-Hant",
                     "/app/classifications?status=open&level=internal&lang=pt"]
    status, html, _ = await admin.get(links[1])
    assert status == 200 and '<option value="internal" selected>' in html and '<html lang="pt">' in html


async def test_after_a_refused_form_the_links_lead_to_the_page_it_was_on(site: AdminSite) -> None:
    campaign_id = await draft_campaign(site)
    admin = await site.sign_in(ADMIN)
    csrf = await admin.csrf()
    assert (await admin.post(f"/app/campaigns/{campaign_id}/cancel", data={"csrf": csrf}))[0] == 303
    status, html, _ = await admin.post(f"/app/campaigns/{campaign_id}/start?lang=en", data={"csrf": csrf})
    assert status == 409
    links = LINK.findall(html)
    assert links == [f"/app/campaigns/{campaign_id}?lang=zh-Hant", f"/app/campaigns/{campaign_id}?lang=pt"]
    assert (await admin.get(links[0]))[0] == 200
    status, html, _ = await admin.post("/app/campaigns?lang=en", data={"csrf": csrf, "year": "x"})
    assert status == 400 and LINK.findall(html)[0] == "/app/campaigns?lang=zh-Hant"  # a GET page of its own

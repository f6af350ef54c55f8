"""Twenty concurrent POSTs of the same token against a running server leave exactly one response."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy import func, select

from survey.models import Answer, Response
from tests.factories import full_answers, make_invitation


def test_twenty_concurrent_submissions_make_one_response(csrf_app, live_server, db):
    inv, token = make_invitation(db)
    db.commit()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{live_server}/s/{token}").read().decode()
    form = full_answers(inv.wave)
    form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(form).encode()
    codes, barrier = [], threading.Barrier(20)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    def post():
        o = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        barrier.wait()
        try:
            codes.append(o.open(f"{live_server}/s/{token}", data=body, timeout=60).status)
        except urllib.error.HTTPError as e:
            codes.append(e.code)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(codes) == 20
    assert all(c < 500 for c in codes), codes
    assert codes.count(302) == 1, codes
    assert set(codes) <= {302, 409}, codes
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Response)) == 1
    n_questions = len([q for q in inv.wave.questionnaire.questions])
    assert db.scalar(select(func.count()).select_from(Answer)) == n_questions

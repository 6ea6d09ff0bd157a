"""Load scenario (issue 14): research nurses browse and save forms, monitors read the history
and the audit trail. Run by bench/bench_load.py, which seeds the database, starts gunicorn
with the production settings and checks afterwards that every save that answered success is
in the database.

The plan (accounts, each nurse's own participant and its Demographics values) comes from the
JSON file named by LOAD_PLAN; every save that answered success is appended to LOAD_SAVES.

gunicorn sits where the hospital's TLS proxy would hand it requests: each request says
X-Forwarded-Proto: https (trusted through SECURE_PROXY_SSL_HEADER), and the session cookie,
Secure in production, is sent back as the browser would over HTTPS.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115 - read once at import
SAVES_FILE = os.environ["LOAD_SAVES"]
_nurses = itertools.cycle(PLAN["nurses"])
_monitors = itertools.cycle(PLAN["monitors"])
SAVES: list[dict] = []
# Every request: (name, milliseconds, succeeded, steady), for exact percentiles across names;
# steady: once every user has logged in (the ramp-up is a storm of password hashing).
SAMPLES: list[tuple[str, float, bool, bool]] = []
USERS = int(os.environ.get("LOAD_USERS", "0"))
LOGGED_IN = [0]
THINK = [float(s) for s in os.environ.get("LOAD_THINK", "1,3").split(",")]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@events.request.add_listener
def _sample(name, response_time, exception, **kwargs) -> None:
    SAMPLES.append((name, response_time, exception is None, LOGGED_IN[0] >= USERS))


@events.test_stop.add_listener
def _write_results(environment, **kwargs) -> None:
    with open(SAVES_FILE, "w") as handle:
        json.dump({"saves": SAVES, "samples": SAMPLES}, handle)


def saved(response, code: str) -> bool:
    """A save answered success: back to the participant's page (not to the login page)."""
    return response.status_code == 302 and response.headers.get("Location") == f"/p/{code}/"


class Staff(HttpUser):
    abstract = True
    wait_time = between(*THINK)

    def on_start(self) -> None:
        # The cookies are Secure in production; this client talks plain HTTP to gunicorn,
        # as the TLS proxy does, and sends them back as a browser does over HTTPS.
        send = self.client.request

        def request(*args, **kwargs):
            for cookie in self.client.cookies:
                cookie.secure = False
            return send(*args, **kwargs)

        self.client.request = request
        self.origin = self.host.replace("http://", "https://")
        self.client.headers.update({"X-Forwarded-Proto": "https", "Origin": self.origin})
        page = self.client.get("/accounts/login/", name="login page")
        with self.client.post(
            "/accounts/login/",
            {
                "username": self.account["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": TOKEN.search(page.text).group(1),
            },
            name="login (password hashing)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "login" in response.headers.get("Location", ""):
                response.failure(f"login refused: {response.status_code}")
        LOGGED_IN[0] += 1

    def token(self, html: str) -> str:
        return TOKEN.search(html).group(1)


class Nurse(Staff):
    weight = 4

    def on_start(self) -> None:
        self.account = next(_nurses)
        self.participant = self.account["participant"]
        self.saves = 0
        super().on_start()

    @task(3)
    def participant_list(self) -> None:
        self.client.get("/", name="participant list")
        self.client.get("/todo/", name="to do (htmx)")

    @task(3)
    def participant_page(self) -> None:
        self.client.get(f"/p/{self.participant['code']}/", name="participant page")

    @task(2)
    def open_forms(self) -> None:
        for url in random.sample(self.participant["forms"], min(2, len(self.participant["forms"]))):
            self.client.get(url, name="CRF page")

    @task(2)
    def correct_demographics(self) -> None:
        """A correction of the weight, with its reason: the version check and the audit."""
        url = self.participant["demog_url"]
        page = self.client.get(url, name="CRF page")
        version = int(VERSION.search(page.text).group(1))
        self.saves += 1
        weight = f"{60 + (self.saves % 400) / 10:.1f}"
        body = {
            "csrfmiddlewaretoken": self.token(page.text),
            **{f"crf-{k}": v for k, v in self.participant["demog"].items()},
            "crf-weight_kg": weight,
            "crf-confirm_unusual": "on",
            "version": str(version),
            "change-reason": "transcription error",
        }
        with self.client.post(
            url, body, name="save CRF (correction)", allow_redirects=False, catch_response=True
        ) as response:
            if saved(response, self.participant["code"]):
                SAVES.append(
                    {
                        "kind": "DEMOG",
                        "code": self.participant["code"],
                        "version": version + 1,
                        "weight": weight,
                    }
                )
                response.success()
            else:
                response.failure(f"save refused: {response.status_code}")

    @task(1)
    def add_medication(self) -> None:
        """A new log entry: nothing exists until it is saved."""
        url = f"/p/{self.participant['code']}/log/CM/new/"
        page = self.client.get(url, name="new log entry page")
        self.saves += 1
        name = f"LOAD {self.account['username']} #{self.saves}"
        body = {
            "csrfmiddlewaretoken": self.token(page.text),
            "crf-name": name,
            "crf-indication": "load test",
            "crf-dose": "1 tablet daily",
            "crf-route": "oral",
            "save_draft": "1",
        }
        with self.client.post(
            url, body, name="save new log entry", allow_redirects=False, catch_response=True
        ) as response:
            if saved(response, self.participant["code"]):
                SAVES.append({"kind": "CM", "code": self.participant["code"], "name": name})
                response.success()
            else:
                response.failure(f"save refused: {response.status_code}")


class Monitor(Staff):
    weight = 1

    def on_start(self) -> None:
        self.account = next(_monitors)
        super().on_start()

    @task(2)
    def participant_list(self) -> None:
        self.client.get("/", name="participant list")

    @task(4)
    def history(self) -> None:
        participant = random.choice(PLAN["monitored"])
        self.client.get(f"/p/{participant['code']}/", name="participant page")
        for url in random.sample(participant["forms"], min(2, len(participant["forms"]))):
            self.client.get(url + "history/", name="form history (audit trail)")

    @task(1)
    def export_audit_trail(self) -> None:
        participant = random.choice(PLAN["monitored"])
        self.client.get(
            f"/exports/?format=csv&participant={participant['code']}",
            name="audit trail export (one participant, CSV)",
        )

"""Outbound requests go only where they may (webhooks), and /r/<code> only sends browsers to
plain http(s) pages.

Name resolution is outside the project, so a test makes a name resolve where it wants by
replacing ``socket.getaddrinfo`` (``names``): listed names answer the listed addresses, other
hosts are resolved numerically only (``2130706433`` and ``0x7f.1`` are still normalised by the
real resolver), so no test touches the network. Receivers are pytest-httpserver servers on
127.0.0.1, reached with OUTBOUND_ALLOW_PRIVATE and their port allowed, as a self-hosted
install would.
"""

from __future__ import annotations

import importlib
import socket

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from core import outbound
from courses import services as course_services
from tests.api.conftest import token_client
from tests.factories import CourseFactory, CreatorFactory, VideoFactory, WebhookEndpointFactory
from tests.test_one_way_in.surfaces import admin_submit
from tracking import services as tracking_services
from tracking.models import LinkClick
from webhooks import services
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"
PUBLIC6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
NOT_REACHABLE = (
    "CourseReel cannot reach this host: use a public host name or address "
    "(private, local and reserved networks are not reachable)."
)
ENDPOINTS = "/api/v1/webhook-endpoints/"

# Every form of an address a creator must not make CourseReel connect to, by default.
FORBIDDEN = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "0.0.0.0",
    "0.1.2.3",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:0:7f00:1",  # SIIT
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo (client 127.0.0.1)
    "169.254.169.254",  # cloud metadata
    "fe80::1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "198.18.0.1",  # benchmarking
    "fc00::1",
    "fd12:3456:789a::1",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
]
# Spellings of 127.0.0.1 that the resolver normalises.
ODD_SPELLINGS = ["2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001"]
# Refused even where the operator allows private networks.
NEVER = [
    "0.0.0.0",
    "::",
    "169.254.169.254",
    "fe80::1",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
]


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.fixture
def api(creator):
    return token_client(creator)


@pytest.fixture
def names(monkeypatch) -> dict[str, list[str]]:
    """name → addresses it resolves to; tests change it to move a name (DNS rebinding)."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        key = host.decode() if isinstance(host, bytes) else host
        if key in table:
            port = int(port or 0)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                if ":" in address
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
                for address in table[key]
            ]
        if key == "localhost":
            return real(host, port, family, type, proto, flags)
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def private_allowed(settings, httpserver):
    """A self-hosted install that lets webhooks reach this machine's test receiver."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_PORTS = f"80,443,{httpserver.port}"
    return httpserver


def refusal(url: str) -> str | None:
    try:
        services.webhook_endpoint_create(
            owner=CreatorFactory(), data={"url": url, "events": ["sale.recorded"]}
        )
    except ValidationError as error:
        assert list(error.message_dict) == ["url"], error.message_dict
        return error.message_dict["url"][0]
    return None


def deliver_once(endpoint: WebhookEndpoint) -> WebhookDelivery:
    [delivery_id] = services.webhook_event_emit(
        owner_id=endpoint.owner_id, event=Event.SALE_RECORDED, payload={"sales": []}
    )
    services.webhook_delivery_attempt(delivery_id=delivery_id, final=True)
    return WebhookDelivery.objects.get(pk=delivery_id)


# --- the address table, at save time -----------------------------------------------------------


@pytest.mark.parametrize("address", FORBIDDEN + ODD_SPELLINGS)
def test_forbidden_addresses_are_refused_by_literal(names, address):
    assert refusal(f"http://{literal(address)}/hook") == NOT_REACHABLE
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden_addresses_are_refused_by_a_name_that_resolves_to_them(names, address):
    names["hooks.shop.test"] = [address]
    assert refusal("https://hooks.shop.test/hook") == NOT_REACHABLE


def test_localhost_is_refused(names):
    assert refusal("http://localhost/hook") == NOT_REACHABLE
    assert refusal("http://LOCALHOST./hook") == NOT_REACHABLE


def test_one_private_address_among_public_ones_is_enough_to_refuse(names):
    names["mixed.shop.test"] = [PUBLIC, PUBLIC6, "10.1.2.3"]
    assert refusal("https://mixed.shop.test/hook") == NOT_REACHABLE
    names["mixed.shop.test"] = [PUBLIC, PUBLIC6]
    assert refusal("https://mixed.shop.test/hook") is None


def test_public_addresses_and_names_are_accepted(names):
    names["hooks.shop.test"] = [PUBLIC]
    assert refusal("https://hooks.shop.test/hook?x=1") is None
    assert refusal(f"http://{PUBLIC}:8080/hook") is None
    assert refusal(f"https://[{PUBLIC6}]/hook") is None
    assert refusal(f"https://[::ffff:{PUBLIC}]/hook") is None  # mapped form of a public one
    assert refusal("https://[64:ff9b::5db8:d70e]/hook") is None  # NAT64 of PUBLIC


def test_an_unresolvable_name_reads_like_a_private_one(names):
    """No oracle: the answer does not tell whether an internal name exists."""
    names["redis.internal"] = ["172.18.0.3"]
    assert refusal("http://redis.internal/") == refusal("http://nobody.invalid/") == NOT_REACHABLE


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://93.184.215.14/hook", "Use an address that starts with http:// or https://."),
        ("file:///etc/passwd", "Use an address that starts with http:// or https://."),
        ("gopher://93.184.215.14:70/_x", "Use an address that starts with http:// or https://."),
        ("https://user:pw@93.184.215.14/", "Remove the user name and password from the address."),
        ("https://user@93.184.215.14/", "Remove the user name and password from the address."),
        ("https://:pw@93.184.215.14/", "Remove the user name and password from the address."),
        ("http://127.0.0.1:6379/", "Port 6379 is not allowed; use one of: 80, 443, 8080, 8443."),
        ("http://93.184.215.14:22/", "Port 22 is not allowed; use one of: 80, 443, 8080, 8443."),
        ("http:///hook", "Enter an address with a host name."),
    ],
)
def test_scheme_credentials_and_port_rules(names, url, message):
    assert refusal(url) == message


def test_ports_follow_the_setting(names, settings):
    settings.OUTBOUND_PORTS = "443, 9000-9002"
    assert refusal(f"https://{PUBLIC}:9001/") is None
    assert refusal(f"https://{PUBLIC}/") is None
    assert refusal(f"http://{PUBLIC}/") == "Port 80 is not allowed; use one of: 443, 9000-9002."


def test_allowing_private_networks_still_refuses_the_never_addresses(names, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    for address in ["127.0.0.1", "10.0.0.1", "::1", "fd12::1", "::ffff:192.168.1.1"]:
        assert refusal(f"http://{literal(address)}/") is None, address
    for address in NEVER:
        assert refusal(f"http://{literal(address)}/") == NOT_REACHABLE, address
        names["meta.shop.test"] = [address]
        assert refusal("http://meta.shop.test/") == NOT_REACHABLE, address


# --- the same rules through the API and the admin -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:6379/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://internal.shop.test/",
        "https://user:pw@93.184.215.14/",
    ],
)
def test_the_api_refuses_with_a_400_on_url(api, names, url):
    names["internal.shop.test"] = ["10.0.0.5"]
    response = api.post(ENDPOINTS, {"url": url, "events": ["sale.recorded"]}, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["url"]
    assert error["message"].startswith("url: ")
    assert not WebhookEndpoint.objects.exists()


def test_the_api_refuses_a_changed_url_but_lets_an_old_one_be_switched_off(api, creator, names):
    names["hooks.shop.test"] = [PUBLIC]
    created = api.post(
        ENDPOINTS, {"url": "https://hooks.shop.test/h", "events": ["sale.recorded"]}, format="json"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    moved = api.patch(f"{ENDPOINTS}{pk}/", {"url": "http://127.0.0.1/h"}, format="json")
    assert moved.status_code == 400 and list(moved.json()["error"]["fields"]) == ["url"]
    assert WebhookEndpoint.objects.get(pk=pk).url == "https://hooks.shop.test/h"

    old = WebhookEndpointFactory(owner=creator, url="http://10.0.0.1/from-before-the-rule")
    switched = api.patch(f"{ENDPOINTS}{old.pk}/", {"active": False}, format="json")
    assert switched.status_code == 200
    assert not WebhookEndpoint.objects.get(pk=old.pk).active


def test_the_api_refusal_is_translated(api, names):
    response = api.post(
        ENDPOINTS,
        {"url": "http://127.0.0.1/", "events": ["sale.recorded"]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "CourseReel 无法访问此主机" in response.json()["error"]["fields"]["url"][0]


def test_the_admin_shows_the_refusal_on_the_url_field(creator_client, names):
    attempt = admin_submit(
        creator_client,
        WebhookEndpoint,
        {"url": "http://169.254.169.254/latest/meta-data/", "events": '["sale.recorded"]'},
    )
    assert attempt.refused, attempt.describe()
    assert attempt.on("url") == [NOT_REACHABLE]
    assert not WebhookEndpoint.objects.exists()

    names["hooks.shop.test"] = [PUBLIC]
    attempt = admin_submit(
        creator_client,
        WebhookEndpoint,
        {"url": "https://hooks.shop.test/h", "events": '["sale.recorded"]'},
    )
    assert not attempt.refused, attempt.describe()
    assert WebhookEndpoint.objects.get().url == "https://hooks.shop.test/h"


# --- at connection time ---------------------------------------------------------------------


def test_an_allowed_receiver_gets_the_delivery_on_the_checked_address(
    creator, names, private_allowed
):
    httpserver = private_allowed
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    names["hooks.self-hosted.test"] = ["127.0.0.1"]
    endpoint = services.webhook_endpoint_create(
        owner=creator,
        data={
            "url": f"http://hooks.self-hosted.test:{httpserver.port}/hook",
            "events": ["sale.recorded"],
        },
    )

    delivery = deliver_once(endpoint)

    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "succeeded",
        200,
        "",
    )
    [(request, _response)] = httpserver.log
    assert request.headers["Host"] == f"hooks.self-hosted.test:{httpserver.port}"
    assert request.headers["X-CourseReel-Event"] == "sale.recorded"
    assert request.get_data() == services.webhook_delivery_body(delivery)


def test_dns_rebinding_after_the_check_sends_nothing(api, creator, names, settings, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    settings.OUTBOUND_PORTS = f"80,443,{httpserver.port}"
    names["rebind.shop.test"] = [PUBLIC]  # at save time: a public address
    url = f"http://rebind.shop.test:{httpserver.port}/hook"
    created = api.post(ENDPOINTS, {"url": url, "events": ["sale.recorded"]}, format="json")
    assert created.status_code == 201
    endpoint = WebhookEndpoint.objects.get(pk=created.json()["id"])

    names["rebind.shop.test"] = ["127.0.0.1"]  # at connection time: this machine
    delivery = deliver_once(endpoint)

    assert (delivery.status, delivery.last_error) == ("failed", "address_not_allowed")
    assert delivery.last_status_code is None
    assert httpserver.log == []
    # The same delivery with private addresses allowed does reach the server: what the
    # refusal above held back was a real connection.
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert deliver_once(endpoint).status == "succeeded"
    assert len(httpserver.log) == 1


def test_the_connection_goes_to_the_address_that_was_checked(
    creator, names, private_allowed, monkeypatch
):
    """A name that answers differently on every lookup (TTL 0) gets one lookup per delivery:
    the check's. Looked up again, it would send the request to 127.0.0.3, where nobody
    listens, and the delivery would fail."""
    httpserver = private_allowed
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    answers = iter([["127.0.0.1"]] + [["127.0.0.3"]] * 5)
    lookups = []
    resolve = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "ttl0.self-hosted.test":
            lookups.append(host)
            names[host] = next(answers)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    endpoint = WebhookEndpointFactory(
        owner=creator, url=f"http://ttl0.self-hosted.test:{httpserver.port}/hook"
    )

    delivery = deliver_once(endpoint)

    assert (delivery.status, delivery.last_status_code) == ("succeeded", 200)
    assert lookups == ["ttl0.self-hosted.test"]
    assert len(httpserver.log) == 1


@pytest.fixture
def tls_receiver(settings, tmp_path):
    """An https receiver on 127.0.0.1 whose certificate names hooks.self-hosted.test only
    (no IP address), signed by a CA that the sender is told to trust."""
    import ssl

    import trustme
    from pytest_httpserver import HTTPServer

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("hooks.self-hosted.test").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    server.start()
    settings.OUTBOUND_CA_BUNDLE = str(bundle)
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_PORTS = str(server.port)
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_https_connects_to_the_checked_address_and_verifies_the_name(creator, names, tls_receiver):
    """Connected to 127.0.0.1, the certificate is still checked against the name (SNI and
    hostname): the right name is delivered to, another name's URL fails verification."""
    tls_receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    names["hooks.self-hosted.test"] = ["127.0.0.1"]
    names["other.self-hosted.test"] = ["127.0.0.1"]
    good = WebhookEndpointFactory(
        owner=creator, url=f"https://hooks.self-hosted.test:{tls_receiver.port}/hook"
    )
    delivery = deliver_once(good)
    assert (delivery.status, delivery.last_status_code) == ("succeeded", 200)
    [(request, _response)] = tls_receiver.log
    assert request.headers["Host"] == f"hooks.self-hosted.test:{tls_receiver.port}"

    WebhookEndpoint.objects.filter(pk=good.pk).update(active=False)
    wrong = WebhookEndpointFactory(
        owner=creator, url=f"https://other.self-hosted.test:{tls_receiver.port}/hook"
    )
    delivery = deliver_once(wrong)
    assert (delivery.status, delivery.last_error) == ("failed", "could_not_connect")
    assert len(tls_receiver.log) == 1


def test_a_stored_forbidden_url_is_refused_at_delivery(creator, settings, httpserver):
    """A row saved before the rule (or behind the services) is still never contacted."""
    settings.OUTBOUND_PORTS = f"80,443,{httpserver.port}"
    httpserver.expect_request("/hook").respond_with_data("ok")
    for url in [
        f"http://127.0.0.1:{httpserver.port}/hook",
        f"http://localhost:{httpserver.port}/hook",
        f"http://2130706433:{httpserver.port}/hook",
        f"http://[::ffff:127.0.0.1]:{httpserver.port}/hook",
        "http://127.0.0.1:6379/",
        f"ftp://127.0.0.1:{httpserver.port}/hook",
    ]:
        endpoint = WebhookEndpointFactory(owner=creator, url=url)
        delivery = deliver_once(endpoint)
        assert (delivery.status, delivery.last_error) == ("failed", "address_not_allowed"), url
        endpoint.delete()
    assert httpserver.log == []


def test_redirects_are_not_followed(creator, private_allowed):
    httpserver = private_allowed
    elsewhere = httpserver.url_for("/elsewhere")
    httpserver.expect_request("/hook").respond_with_data(
        "", status=307, headers={"Location": elsewhere}
    )
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    endpoint = WebhookEndpointFactory(owner=creator, url=httpserver.url_for("/hook"))

    delivery = deliver_once(endpoint)

    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "failed",
        307,
        "http_status",
    )
    assert [request.path for request, _ in httpserver.log] == ["/hook"]


@pytest.mark.parametrize("status", [500, 404, 302])
def test_the_receivers_answer_never_reaches_the_creator(api, creator, private_allowed, status):
    httpserver = private_allowed
    secret = "redis_version:7.2.4 INTERNAL-ONLY"
    httpserver.expect_request("/hook").respond_with_data(secret, status=status)
    endpoint = WebhookEndpointFactory(owner=creator, url=httpserver.url_for("/hook"))

    delivery = deliver_once(endpoint)

    assert (delivery.last_status_code, delivery.last_error) == (status, "http_status")
    listed = api.get("/api/v1/webhook-deliveries/").content.decode()
    shown = api.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").content.decode()
    assert "INTERNAL-ONLY" not in listed + shown
    assert '"last_error":"http_status"' in shown.replace(" ", "")


def test_refused_and_timed_out_connections_look_the_same(api, creator, settings):
    """A closed port and one that never answers are one class, so the log is no port scan."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    with socket.socket() as closed, socket.socket() as silent:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts the connection in the kernel, never answers: timeout
        ports = [closed.getsockname()[1], silent.getsockname()[1]]
        settings.OUTBOUND_PORTS = ",".join(map(str, ports))
        shown = []
        for port in ports:
            endpoint = WebhookEndpointFactory(owner=creator, url=f"http://127.0.0.1:{port}/h")
            delivery = deliver_once(endpoint)
            assert (delivery.status, delivery.last_error) == ("failed", "could_not_connect")
            body = api.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()
            shown.append({k: body[k] for k in ("status", "attempts", "last_status_code")})
            shown[-1]["last_error"] = body["last_error"]
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert shown[0] == shown[1]


def test_an_unresolvable_name_at_delivery_is_retried_as_could_not_connect(creator, names):
    endpoint = WebhookEndpointFactory(owner=creator, url="https://gone.shop.test/h")
    [delivery_id] = services.webhook_event_emit(
        owner_id=creator.pk, event=Event.SALE_RECORDED, payload={}
    )
    assert services.webhook_delivery_attempt(delivery_id=delivery_id, final=False) == "retry"
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.last_error) == ("pending", "could_not_connect")
    assert delivery.endpoint == endpoint


def test_old_error_texts_become_classes():
    """The data migration: earlier rows kept the receiver's body and the exception's text."""
    migration = importlib.import_module("webhooks.migrations.0003_last_error_classes")
    endpoint = WebhookEndpointFactory()
    rows = {
        "body": WebhookDelivery.objects.create(endpoint=endpoint, event="sale.recorded"),
        "network": WebhookDelivery.objects.create(endpoint=endpoint, event="sale.recorded"),
        "disabled": WebhookDelivery.objects.create(endpoint=endpoint, event="sale.recorded"),
        "fine": WebhookDelivery.objects.create(endpoint=endpoint, event="sale.recorded"),
    }
    WebhookDelivery.objects.filter(pk=rows["body"].pk).update(
        last_status_code=500, last_error="redis_version:7.2.4"
    )
    WebhookDelivery.objects.filter(pk=rows["network"].pk).update(
        last_error="ConnectionError: [Errno 111] Connection refused"
    )
    WebhookDelivery.objects.filter(pk=rows["disabled"].pk).update(last_error="endpoint disabled")

    migration.errors_to_classes(django_apps, None)

    found = {name: WebhookDelivery.objects.get(pk=row.pk).last_error for name, row in rows.items()}
    assert found == {
        "body": "http_status",
        "network": "could_not_connect",
        "disabled": "endpoint_disabled",
        "fine": "",
    }


def test_the_port_setting_must_be_ports(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.OUTBOUND_PORTS = "80,https"
    with pytest.raises(ImproperlyConfigured, match="OUTBOUND_PORTS"):
        outbound.allowed_ports()
    settings.OUTBOUND_PORTS = "0-80"
    with pytest.raises(ImproperlyConfigured, match="OUTBOUND_PORTS"):
        outbound.allowed_ports()


# --- /r/<code>: where browsers are sent -----------------------------------------------------


BAD_TARGETS = [
    ("ftp://shop.example.com/course", "Use an address that starts with http:// or https://."),
    ("ftps://shop.example.com/course", "Use an address that starts with http:// or https://."),
    ("https://user:pw@shop.example.com/", "Remove the user name and password from the address."),
    ("https://user@shop.example.com/", "Remove the user name and password from the address."),
]


@pytest.mark.parametrize("url, message", BAD_TARGETS)
def test_a_sales_page_must_be_plain_http_through_the_api(api, creator, url, message):
    created = api.post(
        "/api/v1/courses/", {"title": "Py", "slug": "py", "sales_page_url": url}, format="json"
    )
    assert created.status_code == 400
    assert created.json()["error"]["fields"] == {"sales_page_url": [message]}

    course = CourseFactory(owner=creator, sales_page_url="https://shop.example.com/ok")
    changed = api.patch(f"/api/v1/courses/{course.pk}/", {"sales_page_url": url}, format="json")
    assert changed.status_code == 400
    assert list(changed.json()["error"]["fields"]) == ["sales_page_url"]
    course.refresh_from_db()
    assert course.sales_page_url == "https://shop.example.com/ok"


@pytest.mark.parametrize("url, message", BAD_TARGETS)
def test_a_sales_page_must_be_plain_http_through_the_service(creator, url, message):
    with pytest.raises(ValidationError) as refused:
        course_services.course_create(
            owner=creator, data={"title": "Py", "slug": "py", "sales_page_url": url}
        )
    assert refused.value.message_dict == {"sales_page_url": [message]}


def test_a_sales_page_may_be_on_a_private_address(creator):
    """Browsers follow the redirect, CourseReel does not: private addresses are fine here."""
    course = course_services.course_create(
        owner=creator,
        data={"title": "Py", "slug": "py", "sales_page_url": "http://192.168.1.10:8000/shop"},
    )
    assert course.sales_page_url == "http://192.168.1.10:8000/shop"


@pytest.mark.parametrize("url", [url for url, _ in BAD_TARGETS])
def test_the_redirect_refuses_a_bad_stored_target(client, creator, url):
    course = CourseFactory(owner=creator, sales_page_url="https://shop.example.com/ok")
    link = tracking_services.link_for_video(
        owner=creator, video=VideoFactory(owner=creator, course=course)
    )
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}
    assert client.get(f"/r/{link.code}", **browser).status_code == 302  # the control

    type(course).objects.filter(pk=course.pk).update(sales_page_url=url)  # from before the rule
    tracking_services.target_forget(link.code)
    response = client.get(f"/r/{link.code}", **browser)

    assert response.status_code == 404
    assert "Location" not in response
    assert "no usable sales page address" in response.content.decode()
    assert LinkClick.objects.filter(link=link).count() == 1  # only the control's click

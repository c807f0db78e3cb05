"""The harness's HTTP clients share one TLS context (tests/harness.py): a poll that makes a
client costs no CA-bundle load, and a client given its own ``verify`` still gets its own."""

from __future__ import annotations

import ssl

import httpx

import tests.harness  # noqa: F401 (installs the shared context)


def _tls(client: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    return client._transport._pool._ssl_context  # type: ignore[union-attr, no-any-return]


def test_default_clients_share_one_tls_context_and_it_verifies() -> None:
    with httpx.Client() as one, httpx.Client(base_url="http://127.0.0.1:1") as two:
        shared = _tls(one)
        assert _tls(two) is shared and _tls(httpx.AsyncClient()) is shared
        assert shared.verify_mode is ssl.CERT_REQUIRED and shared.check_hostname
        assert shared.cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded


def test_a_client_with_its_own_verify_gets_its_own_context() -> None:
    own = ssl.create_default_context()
    with httpx.Client(verify=own) as mine, httpx.Client(verify=False) as loose, httpx.Client() as default:
        assert _tls(mine) is own
        assert _tls(loose) is not _tls(default) and _tls(loose).verify_mode is ssl.CERT_NONE

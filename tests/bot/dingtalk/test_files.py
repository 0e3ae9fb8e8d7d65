"""Received files: the download URL, then a streamed GET hashed on the fly and cut at max_bytes."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp import web

from bot.dingtalk import DingTalkClient, DingTalkFileTooLargeError, DingTalkRequestError, DingTalkTransientError
from tests.bot.dingtalk.fakes import ROBOT_CODE, ClientFactory, FakeDingTalk, VirtualClock, api_ok

DOWNLOAD = "/v1.0/robot/messageFiles/download"
FILE_PATH = "/oss/file-123.file"
CONTENT = bytes(range(256)) * 1000  # 256 000 bytes, several chunks


def serve_file(fake: FakeDingTalk, content: bytes = CONTENT, *, with_length: bool = True) -> None:
    async def reply(request: web.Request) -> web.StreamResponse:
        if with_length:
            return web.Response(body=content, content_type="application/pdf")
        response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(content), 10_000):
            await response.write(content[start : start + 10_000])
        await response.write_eof()
        return response

    fake.script("POST", DOWNLOAD, api_ok({"downloadUrl": f"{fake.base_url}{FILE_PATH}?Signature=abc"}))
    fake.script("GET", FILE_PATH, reply)


async def test_download_url_asks_with_the_robot_code(fake: FakeDingTalk, client: DingTalkClient) -> None:
    serve_file(fake)

    url = await client.file_download_url("dl-code-1")

    assert url.endswith(f"{FILE_PATH}?Signature=abc")
    [call] = fake.calls(DOWNLOAD)
    assert call.body == {"downloadCode": "dl-code-1", "robotCode": ROBOT_CODE}


@pytest.mark.parametrize("with_length", [True, False])
async def test_hash_file_streams_sha256_and_size_without_a_token(
    fake: FakeDingTalk, client: DingTalkClient, with_length: bool
) -> None:
    serve_file(fake, with_length=with_length)

    digest = await client.hash_file("dl-code-1", max_bytes=len(CONTENT))

    assert digest.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert digest.size == len(CONTENT)
    assert digest.content_type == "application/pdf"
    [get] = fake.calls(FILE_PATH)
    assert get.token is None and get.query == {"Signature": "abc"}


async def test_download_file_keeps_the_bytes(fake: FakeDingTalk, client: DingTalkClient) -> None:
    serve_file(fake, with_length=False)

    downloaded = await client.download_file("dl-code-1", max_bytes=10 * len(CONTENT))

    assert downloaded.data == CONTENT
    assert downloaded.sha256 == hashlib.sha256(CONTENT).hexdigest() and downloaded.size == len(CONTENT)
    assert "data" not in repr(downloaded)


@pytest.mark.parametrize("with_length", [True, False])
async def test_download_stops_past_max_bytes(fake: FakeDingTalk, client: DingTalkClient, with_length: bool) -> None:
    serve_file(fake, with_length=with_length)

    with pytest.raises(DingTalkFileTooLargeError) as caught:
        await client.hash_file("dl-code-1", max_bytes=len(CONTENT) - 1)

    assert caught.value.limit == len(CONTENT) - 1 and not caught.value.retryable
    assert len(fake.calls(FILE_PATH)) == 1


async def test_empty_file_within_zero_bytes(fake: FakeDingTalk, client: DingTalkClient) -> None:
    serve_file(fake, b"")

    digest = await client.hash_file("dl-code-1", max_bytes=0)

    assert digest.size == 0 and digest.sha256 == hashlib.sha256(b"").hexdigest()


async def test_expired_link_is_permanent_and_server_errors_are_retried(
    fake: FakeDingTalk, make_client: ClientFactory, clock: VirtualClock
) -> None:
    fake.script("POST", DOWNLOAD, api_ok({"downloadUrl": f"{fake.base_url}{FILE_PATH}?Signature=abc"}))
    fake.script("GET", FILE_PATH, api_ok({"error": "expired"}, status=403))
    client = make_client(max_attempts=3)

    with pytest.raises(DingTalkRequestError) as caught:
        await client.hash_file("dl-code-1", max_bytes=100)
    assert caught.value.host == "file" and caught.value.status == 403
    assert "Signature" not in str(caught.value)

    fake.script("GET", FILE_PATH, api_ok({}, status=502))
    with pytest.raises(DingTalkTransientError):
        await client.hash_file("dl-code-1", max_bytes=100)
    assert len(fake.calls(FILE_PATH)) == 1 + 3

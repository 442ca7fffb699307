"""The fault tests' write load keeps every 500 it is answered (it retries them, as a client would), so
the harness can require that there was none."""

from __future__ import annotations

import httpx

from tests.support.load import WriteLoad


async def test_every_500_is_kept_and_the_write_retried_until_acknowledged() -> None:
    answers = iter([500, 503, 500])
    seen: list[str] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Idempotency-Key"])
        status = next(answers, 201)
        if status != 201:
            return httpx.Response(status, text=f"status {status}")
        return httpx.Response(201, json={"entry_id": "e-1", "version": 2})

    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway), base_url="http://gateway") as client:
        load = WriteLoad(client, ["c-1"], rate=1000, concurrency=1)
        write = load._next_write()
        await load._send(write)
    assert [a.write for a in load.acked] == [write] and load.acked[0].attempts == 4
    assert seen == [write.key] * 4  # one key for every attempt
    assert load.server_errors == [(write, "status 500"), (write, "status 500")]
    assert load.retried == {500: 2, 503: 1}
    assert "2 answered 500" in load.summary()

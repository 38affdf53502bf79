"""Generations through the real service over HTTP, the emulator rendering behind it."""

from __future__ import annotations

import time
from pathlib import Path

import av
import httpx

from tests.service.jobs.conftest import Studio
from tests.support.service import running_service


def test_a_generation_is_charged_exactly_its_quote_and_plays(
    studio: Studio, api: httpx.Client
) -> None:
    studio.grant(1000)
    before = studio.balance()
    quote = api.post("/quotes", json={"model": "kling-2.6", "duration_s": 5}).json()
    g = studio.generate(prompt="waves hello")
    assert g["state"] == "queued" and g["credits_reserved"] == quote["credits"] == 200
    assert studio.balance()["reserved"] == before["reserved"] + 200
    done = studio.wait(g["id"])
    assert done["state"] == "ready", done
    assert done["credits_charged"] == 200
    after = studio.balance()
    assert after["available"] == before["available"] - 200
    assert after["reserved"] == before["reserved"]
    states = [e["to_state"] for e in studio.timeline(g["id"]) if e["kind"] == "job_state"]
    assert states == ["queued", "submitting", "running", "downloading", "ready"]
    head = api.get(f"/generations/{g['id']}/video", headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and len(head.content) == 100
    assert head.headers["content-range"].startswith("bytes 0-99/")
    video = api.get(f"/generations/{g['id']}/video")
    path = f"/tmp/reelcraft-test-{g['id']}.mp4"
    with open(path, "wb") as out:
        out.write(video.content)
    with av.open(path) as container:
        assert abs(float(container.duration or 0) / 1e6 - 5.0) < 0.05
        assert container.streams.audio
    thumb = api.get(f"/generations/{g['id']}/thumbnail", params={"size": "small"})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


def test_render_failure_is_retried_once_then_refunded_once(studio: Studio) -> None:
    studio.grant(400)
    before = studio.balance()
    g = studio.generate(prompt="[emulator:render_failure?times=inf] storm")
    done = studio.wait(g["id"])
    assert done["state"] == "failed"
    assert done["error_code"] == "provider_error"
    assert done["credits_charged"] == 0
    assert studio.balance() == before
    assert len(studio.refunds(g["id"])) == 1
    causes = " | ".join(e["cause"] for e in studio.timeline(g["id"]))
    assert "retrying on the same route (1/1)" in causes


def test_content_policy_fails_without_retry_and_refunds(studio: Studio) -> None:
    studio.grant(200)
    before = studio.balance()
    g = studio.generate(prompt="[emulator:content_policy_at_submit] forbidden")
    done = studio.wait(g["id"])
    assert (done["state"], done["error_code"]) == ("failed", "content_policy")
    assert studio.balance() == before
    assert len(studio.refunds(g["id"])) == 1


def test_cancel_refunds_once_and_a_second_cancel_changes_nothing(
    studio: Studio, api: httpx.Client
) -> None:
    studio.grant(200)
    before = studio.balance()
    g = studio.generate(prompt="[emulator:timing?render_s=60] slow dance")
    studio.wait(g["id"], until={"running"})
    first = api.post(f"/generations/{g['id']}/cancel")
    assert first.status_code == 200 and first.json()["state"] == "cancelled"
    second = api.post(f"/generations/{g['id']}/cancel")
    assert second.status_code == 200 and second.json()["state"] == "cancelled"
    assert studio.balance() == before
    assert len(studio.refunds(g["id"])) == 1
    time.sleep(0.5)
    assert studio.get(g["id"])["state"] == "cancelled"


def test_a_fourth_concurrent_generation_is_refused(studio: Studio, api: httpx.Client) -> None:
    studio.grant(800)
    slow = [studio.generate(prompt=f"[emulator:timing?render_s=60] take {i}") for i in range(3)]
    before = studio.balance()
    fourth = studio.submit(prompt="one too many")
    assert fourth.status_code == 429
    assert fourth.json()["code"] == "concurrency_limit"
    assert studio.balance() == before  # nothing reserved for the refused one
    for g in slow:
        api.post(f"/generations/{g['id']}/cancel")
    assert all(studio.wait(g["id"])["state"] == "cancelled" for g in slow)


def test_the_same_idempotency_key_creates_one_generation(studio: Studio, api: httpx.Client) -> None:
    studio.grant(200)
    before = studio.balance()
    body = {"model": "kling-2.6", "duration_s": 5, "input_image_sha256": studio.image()}
    headers = {"Idempotency-Key": "retry-me-1"}
    first = api.post("/generations", json=body, headers=headers)
    again = api.post("/generations", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert studio.balance()["available"] == before["available"] - 200
    studio.wait(first.json()["id"])


def test_insufficient_credits_and_unoffered_models_are_refused_cleanly(
    tmp_path: Path,
) -> None:
    with running_service(tmp_path) as service, service.http() as api:
        studio = Studio(api)
        studio.grant(850)
        before = studio.balance()
        big = studio.submit(model="sora-2", duration=10, resolution="720p")
        assert big.status_code == 402 and big.json()["code"] == "insufficient_credits"
        veo = studio.submit(model="veo-3.1", duration=5)
        assert veo.status_code == 409 and veo.json()["code"] == "model_unavailable"
        assert "4/6/8 s" in veo.json()["message"]
        bad = studio.submit(model="kling-2.6", duration=5, prompt="x" * 501)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
        no_image = api.post(
            "/generations",
            json={"model": "kling-2.6", "duration_s": 5, "input_image_sha256": "0" * 64},
        )
        assert no_image.status_code == 422 and "upload the character image" in no_image.text
        assert studio.balance() == before
        assert api.get("/generations").json()["items"] == []


def test_publish_regenerate_and_discard(studio: Studio, api: httpx.Client) -> None:
    studio.grant(400)
    g = studio.wait(studio.generate(prompt="spin")["id"])
    assert g["state"] == "ready"
    published = api.post(f"/generations/{g['id']}/publish").json()
    assert published["post_state"] == "in_review"
    again = api.post(f"/generations/{g['id']}/regenerate", headers={"Idempotency-Key": "r1"})
    assert again.status_code == 201
    regen = again.json()
    assert regen["regenerated_from"] == g["id"]
    assert regen["request"]["prompt"] == "spin" and regen["credits_reserved"] == 200
    assert studio.wait(regen["id"])["state"] == "ready"
    discarded = api.post(f"/generations/{regen['id']}/discard").json()
    assert discarded["post_state"] == "discarded"
    assert discarded["credits_charged"] == 200  # discarding does not refund


def test_the_video_has_the_requested_aspect_ratio_whatever_the_image_shape(
    studio: Studio, api: httpx.Client, tmp_path: Path
) -> None:
    """Image-to-video providers take the frame from the image: a square character asked for
    16:9 must not come back square."""
    from tests.support.images import character_png

    studio.grant(200)
    square = api.post("/inputs", content=character_png(800, 800), headers={"X-Filename": "sq.png"})
    assert square.status_code == 201, square.text
    g = studio.generate(aspect_ratio="16:9", input_image_sha256=square.json()["sha256"])
    done = studio.wait(g["id"])
    assert done["state"] == "ready", done
    assert done["request"]["input_image_sha256"] == square.json()["sha256"]  # as the user chose
    path = tmp_path / "wide.mp4"
    path.write_bytes(api.get(f"/generations/{g['id']}/video").content)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert abs(stream.width / stream.height - 16 / 9) < 0.03


def test_the_kill_switch_and_disabled_models_refuse_new_generations(
    studio: Studio, api: httpx.Client
) -> None:
    studio.grant(200)
    before = studio.balance()
    try:
        assert api.patch("/admin/config", json={"generation_enabled": False}).status_code == 200
        paused = studio.submit()
        assert paused.status_code == 503 and paused.json()["code"] == "generation_disabled"
        models = api.get("/models").json()
        assert models["generation_enabled"] is False
        assert not any(p["available"] for m in models["models"] for p in m["prices"])
        api.patch(
            "/admin/config", json={"generation_enabled": True, "disabled_models": ["kling-2.6"]}
        )
        off = studio.submit()
        assert off.status_code == 409 and off.json()["code"] == "model_unavailable"
        bad = api.patch("/admin/config", json={"max_concurrent_per_user": 0})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
        unknown = api.patch("/admin/config", json={"turbo": True})
        assert unknown.status_code == 422 and "unknown settings" in unknown.json()["message"]
        budget = api.patch("/admin/config", json={"cache_budget_mb": 512})
        assert budget.status_code == 200 and budget.json()["cache_budget_mb"] == 512
        assert api.get("/admin/config").json()["cache_budget_mb"] == 512
    finally:
        api.patch("/admin/config", json={"generation_enabled": True, "disabled_models": []})
    assert studio.balance() == before


def test_history_pages_follow_each_other_without_gaps_or_repeats(
    studio: Studio, api: httpx.Client
) -> None:
    studio.grant(600)
    for _ in range(3):
        studio.wait(studio.generate(prompt="page filler")["id"])
    everything = api.get("/generations", params={"limit": 100}).json()["items"]
    assert len(everything) >= 3
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/generations", params=params).json()
        seen += [g["id"] for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [g["id"] for g in everything]
    stamps = [g["created_at"] for g in everything]
    assert stamps == sorted(stamps, reverse=True)
    ready = api.get("/generations", params={"state": "ready", "limit": 100}).json()["items"]
    assert ready and all(g["state"] == "ready" for g in ready)
    bad = api.get("/generations", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"

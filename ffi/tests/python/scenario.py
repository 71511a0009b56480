"""A rider's phone, played by Python through the generated bindings.

Run by ffi/tests/hosts.rs with the generated module on PYTHONPATH and:
  RIDEWIRE_SERVER  a ridewire-server on loopback (http://127.0.0.1:PORT)
  RIDEWIRE_FRAMES  a folder of synthetic camera frames: frames.json and the
                   raw Y planes it names, with the marker's true pose
Prints what it checks; any failed check raises and exits non-zero.
"""
import asyncio
import json
import math
import os
import sys
import tempfile
import time

import ridewire
from ridewire import RideWire, RideWireError, SyncListener


def check(what, ok, detail=""):
    if not ok:
        raise AssertionError(f"{what}: {detail}")
    print(f"ok  {what}")


def open_phone(folder):
    rw = RideWire.open(folder)
    check("a fresh store starts at level 1 with no XP", rw.progress().xp == 0, rw.progress())
    return rw


def quests(rw):
    quests = rw.quests()
    check("the starter plan's quests are listed", len(quests) >= 5, len(quests))
    available = [q for q in quests if q.state == ridewire.QuestState.AVAILABLE and not q.proofs]
    check("some quests can be started and done without proofs", available, [(q.state, q.proofs) for q in quests])
    quest = available[0]
    before = rw.progress().xp
    started = rw.start_quest(quest.id)
    check("starting a quest is recorded", started.counted, started)
    for step in quest.steps:
        checked = rw.check_step(quest.id, step.id)
        check(f"step {step.id} is checked", checked.counted, checked)
    now = next(q for q in rw.quests() if q.id == quest.id)
    check("every step shows checked", all(s.checked for s in now.steps), now.steps)
    done = rw.complete_quest(quest.id)
    check("completing it earns its XP", done.counted and done.xp > 0, done)
    check("progress shows the XP", rw.progress().xp == before + done.xp, rw.progress())
    after = next(q for q in rw.quests() if q.id == quest.id)
    check("the quest is completed", after.state == ridewire.QuestState.COMPLETED, after.state)
    proofs = [q for q in quests if q.proofs and q.state == ridewire.QuestState.AVAILABLE]
    if proofs:
        needs = proofs[0]
        rw.start_quest(needs.id)
        for step in needs.steps:
            rw.check_step(needs.id, step.id)
        refused = rw.complete_quest(needs.id)
        check(f"{needs.id} without its proof ({needs.proofs}) is recorded, not counted",
              not refused.counted and refused.reason, refused)
    try:
        rw.start_quest("no-such-quest")
        check("an unknown quest is refused", False)
    except RideWireError.InvalidInput as e:
        check("an unknown quest is refused", "no-such-quest" in e.message, e.message)


def location_proof(rw):
    # The starter plan's oil change is proved at the demo workshop
    # (48.137154 N, 11.576124 E; a zone of 30 m).
    quest = next(q for q in rw.quests() if q.id == "oil-change")
    check("the oil change asks for a location proof", "location" in quest.proofs, quest.proofs)
    far = rw.complete_quest_at_zone(quest.id, 48.134078, 11.576124, 6.0, None, None)
    check("342 m south of the workshop nothing is recorded and the distance is told",
          not far.proof_recorded and "312 m from the zone; come within 50 m" in far.message, far)
    rough = rw.complete_quest_at_zone(quest.id, 48.137154, 11.576124, 40.0, None, None)
    check("a rough fix says what accuracy is needed",
          not rough.proof_recorded and "15 m or better is needed" in rough.message, rough)
    for step in quest.steps:
        rw.check_step(quest.id, step.id)
    before = rw.progress().xp
    there = rw.complete_quest_at_zone(quest.id, 48.137160, 11.576130, 6.0, 0.0, int(time.time() * 1000))
    check("at the workshop the proof completes the quest", there.completed and there.proof_recorded and there.xp > 0, there)
    check("progress shows its XP", rw.progress().xp == before + there.xp, rw.progress())


def png(width, height, rgb):
    """A plain RGB PNG, as a phone's gallery might hand one over."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def photo_proof(rw, folder):
    path = os.path.join(folder, "brakes.md")
    with open(path, "w") as f:
        f.write("# Brakes\n\n## Front\n\n- [ ] New front pads #photo\n")
    check("a plan file opens as the current plan", rw.open_plan_file(path) == "Brakes")
    quest = next(q for q in rw.quests() if q.title == "New front pads")
    check("the #photo task asks for a photo", "photo" in quest.proofs, quest.proofs)
    try:
        rw.complete_quest_with_photo(quest.id, b"not a picture", False, False)
        check("what is not a picture is refused", False)
    except RideWireError.InvalidInput as e:
        check("what is not a picture is refused in words", "JPEG or a PNG" in e.message, e.message)
    before = rw.progress().xp
    done = rw.complete_quest_with_photo(quest.id, png(640, 480, (200, 40, 40)), True, False)
    check("a photo completes the quest", done.completed and done.photo_kept and done.xp > 0, done)
    check("with the code to have it vouched for",
          (done.vouch_code or "").startswith("ridewire:vouch/"), done.vouch_code)
    check("progress shows its XP", rw.progress().xp == before + done.xp, rw.progress())


def diagnose(rw):
    before = rw.progress().xp
    run = rw.diagnose(["P0300"], ["rough_idle"])
    check("P0300 is approved", run.decision == ridewire.Decision.APPROVED, run.decision)
    check("the spark plugs light up", "spark_plugs" in run.highlighted_components, run.highlighted_components)
    check("the offline agent answered", any(a.agent == "offline_rules" and a.used for a in run.answers), [(a.agent, a.status) for a in run.answers])
    check("the run earns 10 XP", run.xp == 10 and rw.progress().xp == before + 10, (run.xp, rw.progress()))
    try:
        rw.diagnose(["P03OO"], [])
        check("a malformed code is refused", False)
    except RideWireError.InvalidInput as e:
        check("a malformed code is refused by name", "P03OO" in e.message, e.message)
    return run


def frames(rw, folder):
    with open(os.path.join(folder, "frames.json")) as f:
        meta = json.load(f)
    k = meta["camera"]
    rw.set_camera(k["fx"], k["fy"], k["cx"], k["cy"])
    rw.set_marker_size(meta["marker_size"])
    truth = meta["tvec"]
    seen = None
    for i, frame in enumerate(meta["frames"]):
        with open(os.path.join(folder, frame), "rb") as f:
            luma = f.read()
        markers = rw.push_camera_frame(meta["width"], meta["height"], luma, i * 33)
        seen = next((m for m in markers if m.id == meta["id"]), None)
        check(f"frame {i}: marker {meta['id']} found", seen is not None, markers)
    off = math.dist(seen.tvec, truth)
    check("the pose is where the marker is (within 1 cm)", off < 0.01, (seen.tvec, truth))
    check("four corners in pixels", len(seen.corners) == 4, seen.corners)
    # The same frame as NV12 (neutral chroma), as Android's camera gives it:
    # the tracker reads its Y plane alike.
    w, h = meta["width"], meta["height"]
    nv12 = luma + bytes([128]) * (2 * ((w + 1) // 2) * ((h + 1) // 2))
    markers = rw.push_camera_frame_nv12(w, h, nv12, True, 10_000)
    again = next((m for m in markers if m.id == meta["id"]), None)
    check("an NV12 frame is tracked from its Y plane", again is not None, markers)
    try:
        rw.push_camera_frame_nv12(w, h, nv12[:-1], True, 0)
        check("a short NV12 buffer is refused", False)
    except RideWireError.InvalidInput as e:
        check("a short NV12 buffer is refused, not a crash", "NV12" in e.message or "needs" in e.message, e.message)
    try:
        rw.push_camera_frame(meta["width"], meta["height"], b"\x00" * 100, 0)
        check("a short buffer is refused", False)
    except RideWireError.InvalidInput as e:
        check("a short buffer is refused, not a crash", "needs" in e.message, e.message)
    try:
        rw.set_marker_size(-1.0)
        check("a negative marker size is refused", False)
    except RideWireError.InvalidInput:
        check("a negative marker size is refused", True)


class Watcher(SyncListener):
    def __init__(self):
        self.states = []

    def on_sync_state(self, state):
        self.states.append(state)


def sync(rw, server, email, password):
    try:
        asyncio.run(rw.sync_now())
        check("syncing before signing in asks to sign in", False)
    except RideWireError.Auth:
        check("syncing before signing in asks to sign in", True)
    rw.sign_in(server, email, password, True)
    watcher = Watcher()
    subscription = rw.watch_sync(watcher)
    summary = asyncio.run(rw.sync_now())
    check("sync sends what the phone recorded", summary.pushed >= 2 and summary.pending == 0, summary)
    # The listener hears the round asked for end (on its own thread, soon).
    deadline = time.monotonic() + 10
    while not any(not s.syncing and s.rounds >= summary.round for s in list(watcher.states)):
        check("the listener hears the round end", time.monotonic() < deadline, watcher.states)
        time.sleep(0.02)
    subscription.cancel()
    check("the listener saw the round run and end", any(s.syncing for s in watcher.states), watcher.states)
    seen = len(watcher.states)
    asyncio.run(rw.sync_now())
    check("nothing is heard after cancel()", len(watcher.states) == seen, watcher.states[seen:])
    # Signed in, a diagnosis goes to the server's agents through the same
    # syncer, and the run comes back to this device.
    before = rw.progress().xp
    online = rw.diagnose(["P0171"], ["rough_idle"])
    check("signed in, the server records the run", online.recorded.startswith(f"on {server}"), online.recorded)
    check("and this device has it at once", rw.progress().xp == before + online.xp, (rw.progress(), online.xp))
    return summary


def http(server, method, path, token=None, body=None):
    """One call to the server as a workshop's terminal makes it."""
    import urllib.error
    import urllib.request
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def workshop(rw, server):
    """The phone's rider joins a workshop with its code, shares, leaves."""
    status, owner = http(server, "POST", "/api/v1/auth/register", body={
        "email": "owner@moto.test", "password": "correct horse battery"})
    check("the workshop's owner has an account", status == 201, owner)
    token = owner["access_token"]
    status, shop = http(server, "POST", "/api/v1/workshops", token, {"name": "Moto Müller"})
    check("the owner founds a workshop", status == 201, shop)
    status, invitation = http(server, "POST", f"/api/v1/workshops/{shop['workshop']}/invitations",
                              token, {"role": "customer"})
    check("and gives out a code", status == 201, invitation)
    check("the phone belongs to no workshop yet", asyncio.run(rw.workshops()) == [])
    try:
        asyncio.run(rw.join_workshop(invitation["code"], ["photos"]))
        check("a word that cannot be shared is refused", False)
    except RideWireError.InvalidInput as e:
        check("a word that cannot be shared is refused", '"photos"' in e.message, e.message)
    code = invitation["code"].lower()
    joined = asyncio.run(rw.join_workshop(code[:6] + "-" + code[6:], []))
    check("the phone joins with the code as typed", joined.role == "customer" and joined.name == "Moto Müller", joined)
    check("sharing its bikes by default", joined.shares == ["bikes"], joined.shares)
    shared = asyncio.run(rw.share_with_workshop(joined.workshop, ["bikes", "diagnoses"]))
    check("and then its diagnoses too", shared.shares == ["bikes", "diagnoses"], shared.shares)
    status, customers = http(server, "GET", f"/api/v1/workshops/{shop['workshop']}/customers", token)
    check("the workshop sees the customer's diagnoses", status == 200 and len(customers["customers"][0]["diagnoses"]) >= 1, customers)
    try:
        asyncio.run(rw.join_workshop(invitation["code"], []))
        check("a used code is refused", False)
    except RideWireError.InvalidInput as e:
        check("a used code is refused", "no such invitation" in e.message, e.message)
    # The workshop's bay; the phone books its first free slot, then asks
    # for the same one again and hears the next free ones.
    status, bay = http(server, "POST", f"/api/v1/workshops/{shop['workshop']}/bays", token, {
        "name": "Lift 1", "opens_min": 0, "closes_min": 1440, "days": [1, 2, 3, 4, 5, 6, 7],
        "slot_minutes": 60, "utc_offset_min": 0})
    check("the owner adds a bay", status == 201, bay)
    slots = asyncio.run(rw.workshop_slots(joined.workshop, 2))
    check("the phone sees free slots", len(slots) > 20 and slots[0].bay == bay["id"], slots[:2])
    first = slots[0]
    attempt = asyncio.run(rw.book_slot(joined.workshop, first.bay, first.start_ms, "Chain kit", "rear sprocket too"))
    check("the phone books the first free slot", attempt.booked is not None and attempt.booked.start_ms == first.start_ms, attempt)
    again = asyncio.run(rw.book_slot(joined.workshop, first.bay, first.start_ms, "Chain kit", ""))
    check("the same slot again is taken, with the next free ones", again.booked is None and again.next_free
          and all(s.start_ms != first.start_ms for s in again.next_free), again)
    mine = asyncio.run(rw.my_bookings(joined.workshop, 2))
    check("the phone lists its booking", [b.service for b in mine] == ["Chain kit"], mine)
    gone = asyncio.run(rw.cancel_booking(joined.workshop, attempt.booked.id))
    check("and cancels it", gone.cancelled, gone)
    try:
        asyncio.run(rw.workshop_slots(joined.workshop, 30))
        check("more than 14 days are refused", False)
    except RideWireError.InvalidInput as e:
        check("more than 14 days are refused", "1 to 14" in e.message, e.message)
    asyncio.run(rw.leave_workshop(joined.workshop))
    check("after leaving, the phone belongs to none", asyncio.run(rw.workshops()) == [])
    status, customers = http(server, "GET", f"/api/v1/workshops/{shop['workshop']}/customers", token)
    check("and the workshop sees no customer", customers["customers"] == [], customers)


def second_device(server, email, password, xp):
    with tempfile.TemporaryDirectory() as folder:
        tablet = RideWire.open(folder)
        try:
            tablet.sign_in(server, email, "wrong password", False)
            check("a wrong password is an Auth error", False)
        except RideWireError.Auth:
            check("a wrong password is an Auth error", True)
        tablet.sign_in(server, email, password, False)
        summary = asyncio.run(tablet.sync_now())
        check("the second device pulls the phone's events", summary.pulled >= 2, summary)
        check("the second device shows the same XP", tablet.progress().xp == xp, (tablet.progress(), xp))
        tablet.shutdown()


def main():
    server = os.environ["RIDEWIRE_SERVER"]
    frames_dir = os.environ["RIDEWIRE_FRAMES"]
    email, password = "phone@ridewire.test", "correct horse battery"
    with tempfile.TemporaryDirectory() as folder:
        rw = open_phone(folder)
        quests(rw)
        location_proof(rw)
        diagnose(rw)
        frames(rw, frames_dir)
        photo_proof(rw, folder)
        sync(rw, server, email, password)
        xp = rw.progress().xp
        check("a plan's map comes back as JSON", '"nodes"' in rw.plan_map("# Plan\n## Chain\n- [ ] lube\n", 7))
        workshop(rw, server)
        second_device(server, email, password, xp)
        rw.shutdown()
    try:
        RideWire.open("")
        check("an empty folder name is refused", False)
    except RideWireError.InvalidInput:
        check("an empty folder name is refused", True)
    print("python scenario: all checks passed")


if __name__ == "__main__":
    rc = 0
    try:
        main()
    except Exception as e:  # noqa: BLE001 - report and fail
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        rc = 1
    # A normal exit: a host's interpreter shutting down after async calls
    # must not crash (the bindings' runtime thread is idle by then).
    sys.exit(rc)

// A rider's phone, played by Kotlin on the JVM through the generated
// bindings (the same code an Android app's view-model calls). Run by
// ffi/tests/hosts.rs with RIDEWIRE_SERVER (a ridewire-server on loopback)
// and RIDEWIRE_FRAMES (synthetic camera frames and their true pose).

import java.io.File
import java.nio.file.Files
import kotlin.math.sqrt
import com.ridewire.core.BackgroundSync
import com.ridewire.core.RideWireModel
import com.ridewire.core.syncInBackground
import kotlinx.coroutines.runBlocking
import uniffi.ridewire.*

fun check(what: String, ok: Boolean, detail: Any? = "") {
    if (!ok) throw AssertionError("$what: $detail")
    println("ok  $what")
}

fun number(json: String, key: String): Double =
    Regex("\"$key\":(-?[0-9.eE+-]+)").find(json)!!.groupValues[1].toDouble()

fun numbers(json: String, key: String): List<Double> =
    Regex("\"$key\":\\[([^\\]]*)\\]").find(json)!!.groupValues[1].split(",").map { it.toDouble() }

fun strings(json: String, key: String): List<String> =
    Regex("\"$key\":\\[([^\\]]*)\\]").find(json)!!.groupValues[1].split(",").map { it.trim('"') }

class Watcher : SyncListener {
    val states = java.util.Collections.synchronizedList(mutableListOf<SyncState>())
    override fun onSyncState(state: SyncState) { states.add(state) }
}

fun quests(rw: RideWire) {
    val quest = rw.quests().first { it.state == QuestState.AVAILABLE && it.proofs.isEmpty() }
    val before = rw.progress().xp
    check("starting a quest is recorded", rw.startQuest(quest.id).counted)
    for (step in quest.steps) check("step ${step.id} is checked", rw.checkStep(quest.id, step.id).counted)
    val done = rw.completeQuest(quest.id)
    check("completing it earns its XP", done.counted && done.xp > 0u, done)
    check("progress shows it", rw.progress().xp == before + done.xp, rw.progress())
    try {
        rw.checkStep(quest.id, "no-such-step")
        check("an unknown step is refused", false)
    } catch (e: RideWireException.InvalidInput) {
        check("an unknown step is refused", e.detail.contains("no-such-step"), e.detail)
    }
}

fun frames(rw: RideWire, dir: File) {
    val meta = File(dir, "frames.json").readText()
    rw.setCamera(number(meta, "fx"), number(meta, "fy"), number(meta, "cx"), number(meta, "cy"))
    rw.setMarkerSize(number(meta, "marker_size"))
    val (w, h) = Pair(number(meta, "width").toUInt(), number(meta, "height").toUInt())
    val id = number(meta, "id").toInt().toUShort()
    var seen: Marker? = null
    strings(meta, "frames").forEachIndexed { i, name ->
        val luma = Files.readAllBytes(File(dir, name).toPath())
        seen = rw.pushCameraFrame(w, h, luma, (i * 33).toULong()).firstOrNull { it.id == id }
        check("frame $i: marker $id found", seen != null)
    }
    val truth = numbers(meta, "tvec")
    val off = sqrt(seen!!.tvec.zip(truth).sumOf { (a, b) -> (a - b) * (a - b) })
    check("the pose is where the marker is (within 1 cm)", off < 0.01, "${seen!!.tvec} vs $truth")
    try {
        rw.pushCameraFrame(w, h, ByteArray(100), 0u)
        check("a short buffer is refused", false)
    } catch (e: RideWireException.InvalidInput) {
        check("a short buffer is refused, not a crash", e.detail.contains("needs"), e.detail)
    }
}

/** A PNG as a phone's gallery could hand over: `w`×`h`, one colour. */
fun png(w: Int, h: Int, rgb: Int): ByteArray {
    val image = java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB)
    for (y in 0 until h) for (x in 0 until w) image.setRGB(x, y, rgb)
    val out = java.io.ByteArrayOutputStream()
    javax.imageio.ImageIO.write(image, "png", out)
    return out.toByteArray()
}

/** One call to the server as a workshop's terminal makes it: status and body. */
fun http(server: String, method: String, path: String, token: String?, body: String?): Pair<Int, String> {
    val builder = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server + path))
        .header("Content-Type", "application/json")
        .method(method, if (body == null) java.net.http.HttpRequest.BodyPublishers.noBody()
            else java.net.http.HttpRequest.BodyPublishers.ofString(body))
    if (token != null) builder.header("Authorization", "Bearer $token")
    val response = java.net.http.HttpClient.newHttpClient()
        .send(builder.build(), java.net.http.HttpResponse.BodyHandlers.ofString())
    return Pair(response.statusCode(), response.body())
}

fun text(json: String, key: String): String =
    Regex("\"$key\":\"([^\"]*)\"").find(json)!!.groupValues[1]

/** The tablet's rider joins a workshop and books a slot through the view-model. */
fun workshopDay(model: RideWireModel, server: String) {
    val (registered, owner) = http(server, "POST", "/api/v1/auth/register", null,
        """{"email":"owner@moto.test","password":"correct horse battery"}""")
    check("the workshop's owner has an account", registered == 201, owner)
    val token = text(owner, "access_token")
    val (_, shop) = http(server, "POST", "/api/v1/workshops", token, """{"name":"Moto"}""")
    val workshop = text(shop, "workshop")
    val (_, invitation) = http(server, "POST", "/api/v1/workshops/$workshop/invitations", token, """{"role":"customer"}""")
    val (bayStatus, bay) = http(server, "POST", "/api/v1/workshops/$workshop/bays", token,
        """{"name":"Lift 1","opens_min":0,"closes_min":1440,"days":[1,2,3,4,5,6,7],"slot_minutes":60,"utc_offset_min":0}""")
    check("the owner adds a bay", bayStatus == 201, bay)
    val joined = runBlocking { model.joinWorkshop(text(invitation, "code")) }
    check("the tablet joins with the code", joined?.role == "customer", joined)
    check("its screen says so", model.screen.value.message == "You are a customer of Moto", model.screen.value.message)
    val slots = runBlocking { model.slots(workshop, 2) }
    check("it sees free slots", slots.isNotEmpty(), slots)
    val booked = runBlocking { model.book(workshop, slots[0], "Annual service") }
    check("it books the first", booked?.booked?.startMs == slots[0].startMs, booked)
    val again = runBlocking { model.book(workshop, slots[0], "Annual service") }
    check("the same slot again offers the next free ones", again?.booked == null && again!!.nextFree.isNotEmpty(), again)
    check("and the screen says it was taken", model.screen.value.message!!.startsWith("That slot was just taken"), model.screen.value.message)
    val junk = runBlocking { model.joinWorkshop("no such code") }
    check("a wrong code is shown, not thrown", junk == null && model.screen.value.message!!.contains("no such invitation"), model.screen.value.message)
}

/** A `#photo` task completed with a picture, through the view-model. */
fun photoProof(model: RideWireModel, core: RideWire, dir: File) {
    val plan = File(dir, "brakes.md")
    plan.writeText("# Brakes\n\n## Front\n\n- [ ] New front pads #photo\n")
    check("a picked plan opens", runBlocking { model.openPlan(plan.path) } == "Brakes", model.screen.value.message)
    val quest = core.quests().first { it.title == "New front pads" }
    check("the #photo task asks for a photo", "photo" in quest.proofs, quest.proofs)
    val junk = runBlocking { model.addPhoto(quest.id, "not a picture".toByteArray(), false, false) }
    check("bytes that are no picture are shown, not thrown", junk == null && model.screen.value.message != null, model.screen.value.message)
    val done = runBlocking { model.addPhoto(quest.id, png(800, 600, 0xC82828), true, false) }
    check("a picked photo completes the quest", done != null && done.completed && done.photoKept && done.xp > 0uL, done)
    check("it gives the code to vouch", done!!.vouchCode?.startsWith("ridewire:vouch/") == true, done.vouchCode)
    check("the screen says so", model.screen.value.message == done.message, model.screen.value.message)
}

fun main() {
    val server = System.getenv("RIDEWIRE_SERVER")!!
    val frames = File(System.getenv("RIDEWIRE_FRAMES")!!)
    val email = "kotlin@ridewire.test"
    val password = "correct horse battery"
    val phoneDir = Files.createTempDirectory("ridewire-phone").toFile()
    val tabletDir = Files.createTempDirectory("ridewire-tablet").toFile()
    try {
        val rw = RideWire.open(phoneDir.path)
        check("a fresh store starts with no XP", rw.progress().xp == 0uL, rw.progress())
        // Signed out, the background job only reads the notices; the
        // first look remembers and tells nothing.
        val signedOut = runBlocking { syncInBackground(rw) }
        check("signed out, the background job only reminds", signedOut is BackgroundSync.Done && signedOut.summary == null && signedOut.notices.isEmpty(), signedOut)
        quests(rw)
        val run = rw.diagnose(listOf("P0300"), listOf("rough_idle"))
        check("P0300 is approved", run.decision == Decision.APPROVED, run.decision)
        check("the spark plugs light up", "spark_plugs" in run.highlightedComponents)
        frames(rw, frames)
        try {
            runBlocking { rw.syncNow() }
            check("syncing before signing in asks to sign in", false)
        } catch (e: RideWireException.Auth) {
            check("syncing before signing in asks to sign in", true)
        }
        rw.signIn(server, email, password, true)
        val watcher = Watcher()
        val subscription = rw.watchSync(watcher)
        val summary = runBlocking { rw.syncNow() }
        check("sync sends what the phone recorded", summary.pushed >= 3uL && summary.pending == 0uL, summary)
        val deadline = System.nanoTime() + 10_000_000_000L
        while (watcher.states.toList().none { !it.syncing && it.rounds >= summary.round }) {
            check("the listener hears the round end", System.nanoTime() < deadline, watcher.states)
            Thread.sleep(20)
        }
        subscription.cancel()
        check("the listener saw the round run and end", watcher.states.toList().any { it.syncing }, watcher.states)
        val xp = rw.progress().xp
        val unlocked = rw.progress().achievements.map { it.id }
        check("the phone's work unlocked an achievement", unlocked.isNotEmpty(), rw.progress())
        rw.shutdown()

        // The second device through the app's view-model, as its screens use it.
        val tablet = RideWire.open(tabletDir.path)
        val model = RideWireModel(tablet)
        check("the model starts at no XP", model.screen.value.progress.xp == 0uL, model.screen.value)
        // The tablet's first look at what to tell: remembered, nothing told.
        check("a new device has nothing to tell", tablet.notices().isEmpty())
        val refused = runBlocking { model.signIn(server, email, "wrong password", false) }
        check("a wrong password is shown, not thrown", !refused && model.screen.value.message!!.startsWith("Please sign in again"), model.screen.value.message)
        check("signing in works", runBlocking { model.signIn(server, email, password, false) })
        val pulled = runBlocking { model.sync() }
        check("the second device pulls the phone's events", pulled != null && pulled.pulled >= 3uL, pulled)
        check("its screen shows the same XP", model.screen.value.progress.xp == xp, "${model.screen.value.progress.xp} vs $xp")
        check("its screen shows sync", model.screen.value.sync?.pending == 0uL, model.screen.value.sync)
        val background = runBlocking { syncInBackground(tablet) }
        check("a background sync runs", background is BackgroundSync.Done, background)
        val told = (background as BackgroundSync.Done).notices.map { it.key }
        check("it tells the achievements the phone unlocked", told.filter { it.startsWith("achievement-") } == unlocked.map { "achievement-$it" }, told)
        check("and only once", tablet.notices().isEmpty())
        val bad = model.cameraFrame(1280, 720, ByteArray(10), 0)
        check("a bad camera frame is shown, not thrown", bad.isEmpty() && model.screen.value.message!!.contains("needs"), model.screen.value.message)
        check("a plan's map comes back as JSON", tablet.planMap("# Plan\n## Chain\n- [ ] lube\n", 7uL).contains("\"nodes\""))
        photoProof(model, tablet, tabletDir)
        workshopDay(model, server)
        model.close()
        println("kotlin scenario: all checks passed")
    } finally {
        phoneDir.deleteRecursively()
        tabletDir.deleteRecursively()
    }
}

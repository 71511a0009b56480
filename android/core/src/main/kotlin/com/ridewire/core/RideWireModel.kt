// The rider's screens over the Rust core, in plain Kotlin (no Android
// classes): the Android app's activities observe `screen` and call the
// actions; the JVM test in ffi/tests/hosts.rs runs this same file.

package com.ridewire.core

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import uniffi.ridewire.BookingAttempt
import uniffi.ridewire.Diagnosis
import uniffi.ridewire.FreeSlot
import uniffi.ridewire.Marker
import uniffi.ridewire.Progress
import uniffi.ridewire.Quest
import uniffi.ridewire.RideWire
import uniffi.ridewire.RideWireException
import uniffi.ridewire.SyncListener
import uniffi.ridewire.SyncState
import uniffi.ridewire.SyncSubscription
import uniffi.ridewire.SyncSummary
import uniffi.ridewire.WithPhoto
import uniffi.ridewire.WorkshopMembership

/** What the screens show: read from the core after every change. */
data class Screen(
    val progress: Progress,
    val quests: List<Quest>,
    val sync: SyncState?,
    /** The last thing the rider should read: XP earned, or what went wrong. */
    val message: String?,
)

/** The five kinds of error, in the words a rider reads. */
fun RideWireException.words(): String = when (this) {
    is RideWireException.Network -> "No connection to the server: $detail"
    is RideWireException.Auth -> "Please sign in again: $detail"
    is RideWireException.Storage -> "Your data on this phone could not be saved: $detail"
    is RideWireException.InvalidInput -> detail
    is RideWireException.Busy -> "Busy, try again in a moment: $detail"
}

class RideWireModel(private val core: RideWire) : AutoCloseable {
    private val state = MutableStateFlow(read(null))
    @Volatile private var watching: SyncSubscription? = null

    init {
        // A kept account syncs from the start: follow it on the screen.
        if (core.syncState() != null) watchSync()
    }

    /** The screen's state; a new value after every action and sync change. */
    val screen: StateFlow<Screen> = state.asStateFlow()

    private fun read(message: String?) =
        Screen(core.progress(), core.quests(), core.syncState(), message)

    /** Reads the core again; keeps the last message unless given a new one. */
    private fun show(message: String? = null, replace: Boolean = message != null) {
        val fresh = read(null)
        // Atomic against the sync thread's updates: no message is lost.
        state.update { old -> fresh.copy(message = if (replace) message else old.message) }
    }

    private inline fun <T> attempt(action: () -> T): T? = try {
        action()
    } catch (e: RideWireException) {
        show(e.words())
        null
    }

    private fun record(action: () -> uniffi.ridewire.Recorded) = attempt {
        val recorded = action()
        show(if (recorded.counted) "+${recorded.xp} XP" else recorded.reason, replace = true)
        recorded
    }

    fun startQuest(id: String) = record { core.startQuest(id) }

    fun checkStep(id: String, step: String) = record { core.checkStep(id, step) }

    fun completeQuest(id: String) = record { core.completeQuest(id) }

    /** Asks the agents (the network when signed in): off the main thread. */
    suspend fun diagnose(codes: List<String>, symptoms: List<String>): Diagnosis? =
        withContext(Dispatchers.IO) {
            attempt { core.diagnose(codes, symptoms).also { show("+${it.xp} XP: ${it.decision}") } }
        }

    /** Opens a Markdown plan the rider picked as their current plan. */
    suspend fun openPlan(path: String): String? =
        withContext(Dispatchers.IO) {
            attempt { core.openPlanFile(path).also { show("Opened $it", replace = true) } }
        }

    /**
     * A photo of the work for a `#photo` quest: the bytes of a JPEG or PNG
     * the rider picked in the gallery (the system photo picker) or took
     * with the camera app. The core turns it upright, shrinks it and drops
     * its metadata (time and place go only as shared); decoding a phone
     * photo takes a moment, so off the main thread. The outcome is shown.
     */
    suspend fun addPhoto(questId: String, picture: ByteArray, shareTime: Boolean, sharePlace: Boolean): WithPhoto? =
        withContext(Dispatchers.IO) {
            attempt {
                core.completeQuestWithPhoto(questId, picture, shareTime, sharePlace)
                    .also { show(it.message, replace = true) }
            }
        }

    /** Joins a workshop with the code it gave the rider (bikes shared). */
    suspend fun joinWorkshop(code: String): WorkshopMembership? =
        attempt { core.joinWorkshop(code, emptyList()) }
            ?.also { show("You are a customer of ${it.name}", replace = true) }

    /** A workshop's free slots over the next `days`. */
    suspend fun slots(workshop: String, days: Int): List<FreeSlot> =
        attempt { core.workshopSlots(workshop, days.toUByte()) } ?: emptyList()

    /**
     * Books `slot` for `service`. When someone was faster the screen says
     * so, and the attempt carries the next free slots to offer instead.
     */
    suspend fun book(workshop: String, slot: FreeSlot, service: String): BookingAttempt? =
        attempt { core.bookSlot(workshop, slot.bay, slot.startMs, service, "") }?.also {
            show(
                if (it.booked != null) "Booked: $service" else "That slot was just taken: pick another",
                replace = true,
            )
        }

    /** One camera frame's Y plane; a bad frame is shown, not thrown. */
    fun cameraFrame(width: Int, height: Int, luma: ByteArray, timestampMs: Long): List<Marker> =
        attempt { core.pushCameraFrame(width.toUInt(), height.toUInt(), luma, timestampMs.toULong()) }
            ?: emptyList()

    /** Signs in, then follows sync on the screen. */
    suspend fun signIn(server: String, email: String, password: String, createAccount: Boolean): Boolean =
        withContext(Dispatchers.IO) {
            attempt { core.signIn(server, email, password, createAccount) } != null
        }.also { if (it) watchSync() }

    private fun watchSync() {
        watching?.cancel()
        watching = attempt {
            core.watchSync(object : SyncListener {
                override fun onSyncState(state: SyncState) = show()
            })
        }
    }

    /** A sync round now (WorkManager's job calls this too). */
    suspend fun sync(): SyncSummary? = attempt { core.syncNow() }?.also { show() }

    override fun close() {
        watching?.cancel()
        watching = null
        core.shutdown()
    }
}

// One background sync round and what to tell the rider after it, in plain
// Kotlin: the Android app's SyncWorker runs it and posts the notices, and
// the JVM test in ffi/tests/hosts.rs runs this file. What to tell (a level,
// an achievement, a due date, a queued booking confirmed or refused; each
// once) is decided by the Rust core.

package com.ridewire.core

import uniffi.ridewire.Notice
import uniffi.ridewire.RideWire
import uniffi.ridewire.RideWireException
import uniffi.ridewire.SyncSummary

/** How a background sync went, and what to tell the rider. */
sealed interface BackgroundSync {
    /** `summary == null`: not signed in, so only the reminders were read. */
    data class Done(val summary: SyncSummary?, val notices: List<Notice>) : BackgroundSync
    /** Worth another try later (no network, the server busy). */
    data class Retry(val why: String) : BackgroundSync
    /** Needs the rider (signed out by the server, or the data cannot be saved). */
    data class Failed(val notice: Notice) : BackgroundSync
}

/** Syncs when signed in, then reads what to tell the rider. */
suspend fun syncInBackground(core: RideWire): BackgroundSync {
    val summary = if (core.syncState() == null) {
        null
    } else {
        try {
            core.syncNow()
        } catch (e: RideWireException) {
            return when (e) {
                is RideWireException.Network, is RideWireException.Busy -> BackgroundSync.Retry(e.words())
                else -> BackgroundSync.Failed(Notice("sync-failed", "RideWire could not sync", e.words()))
            }
        }
    }
    // Bookings made without a connection go out after a round that worked;
    // one the server still cannot be asked about stays queued for the next.
    val booked = if (summary == null) {
        emptyList()
    } else {
        try {
            core.sendQueuedBookings()
                .filter { it.outcome != "waiting" }
                .map { queued ->
                    val title = if (queued.outcome == "confirmed") "Booking confirmed" else "Booking refused"
                    Notice("booking-${queued.outcome}-${queued.startMs}", title, queued.words)
                }
        } catch (e: RideWireException) {
            emptyList()
        }
    }
    return try {
        BackgroundSync.Done(summary, booked + core.notices())
    } catch (e: RideWireException) {
        BackgroundSync.Failed(Notice("notices-failed", "RideWire could not read your data", e.words()))
    }
}

// Sync in the background: WorkManager runs a round every hour while there
// is a network (and once soon after start), then posts what the rider
// should hear (the Rust core decides what, and remembers what it told).

package com.ridewire.app

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import com.ridewire.core.BackgroundSync
import com.ridewire.core.syncInBackground
import java.util.concurrent.TimeUnit
import uniffi.ridewire.RideWire

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        // Its own handle on the rider's file: the app may have it open too.
        val core = RideWire.open(applicationContext.filesDir.path)
        try {
            return when (val done = syncInBackground(core)) {
                is BackgroundSync.Done -> {
                    done.notices.forEach { Notifications.post(applicationContext, it) }
                    Result.success()
                }
                is BackgroundSync.Retry -> Result.retry()
                is BackgroundSync.Failed -> {
                    Notifications.post(applicationContext, done.notice)
                    Result.failure()
                }
            }
        } finally {
            core.shutdown()
        }
    }

    companion object {
        private const val NAME = "ridewire-sync"

        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(1, TimeUnit.HOURS)
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(NAME, ExistingPeriodicWorkPolicy.KEEP, request)
        }
    }
}

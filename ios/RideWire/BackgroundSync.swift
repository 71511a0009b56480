// Sync in the background: iOS wakes the app for a BGAppRefreshTask now and
// then; a round runs and what the core says to tell (a level, an
// achievement, a due date; each once) becomes a local notification.

import BackgroundTasks
import UserNotifications

enum BackgroundSync {
    static let identifier = "com.ridewire.app.sync"

    /// Must run before the app finishes launching (main.swift does it first).
    static func register(dataDir: URL) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            schedule()
            let work = Task {
                await run(dataDir: dataDir)
                task.setTaskCompleted(success: !Task.isCancelled)
            }
            task.expirationHandler = { work.cancel() }
        }
    }

    /// Asks iOS for the next wake-up, an hour from now at the earliest.
    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 3600)
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            NSLog("RideWire: background sync not scheduled: \(error)")
        }
    }

    static func run(dataDir: URL) async {
        do {
            // Its own handle on the rider's file: the app may have it open too.
            let core = try RideWire.open(dataDir: dataDir.path)
            defer { core.shutdown() }
            if core.syncState() != nil {
                _ = try await core.syncNow()
                // Bookings made without a connection go out after a round
                // that worked; those still not sent stay queued.
                for queued in try await core.sendQueuedBookings() where queued.outcome != "waiting" {
                    let title = queued.outcome == "confirmed" ? "Booking confirmed" : "Booking refused"
                    Reminders.post(Notice(key: "booking-\(queued.outcome)-\(queued.startMs)", title: title, text: queued.words))
                }
            }
            for notice in try core.notices() {
                Reminders.post(notice)
            }
        } catch {
            NSLog("RideWire: background sync: \(error)")
        }
    }
}

enum Reminders {
    static func askPermission() {
        UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { _, _ in }
    }

    static func post(_ notice: Notice) {
        let content = UNMutableNotificationContent()
        content.title = notice.title
        content.body = notice.text
        // The same key replaces an earlier notification of the same thing.
        let request = UNNotificationRequest(identifier: notice.key, content: content, trigger: nil)
        UNUserNotificationCenter.current().add(request)
    }
}

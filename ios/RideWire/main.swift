// The app starts here: unpack the assets, register the background sync,
// start the camera, ask about notifications, then hand the thread to the
// Rust app (the Bevy client), which runs UIKit's loop and never returns.

import Foundation

let dataDir = AppFolders.data()
Assets.unpack(into: dataDir)
// One handle on the rider's file for the host's work (camera, sync); the
// app opens its own.
let core = try! RideWire.open(dataDir: dataDir.path)
BackgroundSync.register(dataDir: dataDir)
BackgroundSync.schedule()
Reminders.askPermission()
let camera = CameraFeed(core: core)
camera.start()
dataDir.path.withCString { ridewire_run_app($0) }

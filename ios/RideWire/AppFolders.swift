import Foundation

enum AppFolders {
    /// Application Support/RideWire: the rider's file and the assets.
    static func data() -> URL {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        let dir = base.appendingPathComponent("RideWire", isDirectory: true)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// The bundle's `assets` folder, copied where the Rust side reads files,
/// once per app version (into a fresh folder, moved in place when whole).
enum Assets {
    static func unpack(into dir: URL) {
        let fm = FileManager.default
        let target = dir.appendingPathComponent("assets", isDirectory: true)
        let stamp = target.appendingPathComponent(".version")
        let version = Bundle.main.infoDictionary?["CFBundleVersion"] as? String ?? "0"
        if (try? String(contentsOf: stamp, encoding: .utf8)) == version { return }
        guard let source = Bundle.main.url(forResource: "assets", withExtension: nil) else {
            NSLog("RideWire: the app bundle has no assets folder")
            return
        }
        let fresh = dir.appendingPathComponent("assets.new", isDirectory: true)
        try? fm.removeItem(at: fresh)
        do {
            try fm.copyItem(at: source, to: fresh)
            try version.write(to: fresh.appendingPathComponent(".version"), atomically: true, encoding: .utf8)
            try? fm.removeItem(at: target)
            try fm.moveItem(at: fresh, to: target)
        } catch {
            NSLog("RideWire: could not unpack the assets: \(error)")
        }
    }
}

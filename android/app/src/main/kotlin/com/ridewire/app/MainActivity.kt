// The app's one activity: GameActivity runs the Bevy client (android_main
// in libridewire_ffi.so) full-screen and hands it touch input; this class
// adds what only Android can do: unpack the assets, ask for the camera and
// notifications, feed the camera to the scanner, schedule background sync.

package com.ridewire.app

import android.Manifest
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import androidx.core.content.ContextCompat
import androidx.core.view.WindowCompat
import androidx.core.view.WindowInsetsCompat
import androidx.core.view.WindowInsetsControllerCompat
import com.google.androidgamesdk.GameActivity
import uniffi.ridewire.RideWire

class MainActivity : GameActivity() {
    private var core: RideWire? = null
    private var camera: CameraFeed? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        // The Rust side reads overlay packs and the demo recording as files,
        // so they must be on disk before super.onCreate starts it.
        Assets.unpack(this)
        super.onCreate(savedInstanceState)
        // The same library GameActivity loaded: the frames pushed through
        // these bindings reach the running app's scanner.
        core = RideWire.open(filesDir.path)
        hideSystemBars()
        Notifications.createChannel(this)
        SyncWorker.schedule(this)
        val wanted = buildList {
            if (!granted(Manifest.permission.CAMERA)) add(Manifest.permission.CAMERA)
            if (Build.VERSION.SDK_INT >= 33 && !granted(Manifest.permission.POST_NOTIFICATIONS)) {
                add(Manifest.permission.POST_NOTIFICATIONS)
            }
        }
        if (wanted.isEmpty()) startCamera() else requestPermissions(wanted.toTypedArray(), PERMISSIONS)
    }

    private fun granted(permission: String) =
        ContextCompat.checkSelfPermission(this, permission) == PackageManager.PERMISSION_GRANTED

    override fun onRequestPermissionsResult(code: Int, permissions: Array<out String>, results: IntArray) {
        super.onRequestPermissionsResult(code, permissions, results)
        // Without the camera the scanner says so and plays the demo.
        if (code == PERMISSIONS && granted(Manifest.permission.CAMERA)) startCamera()
    }

    private fun startCamera() {
        val core = core ?: return
        if (camera == null) camera = CameraFeed(this, this, core).also { it.start() }
    }

    private fun hideSystemBars() {
        WindowCompat.setDecorFitsSystemWindows(window, false)
        WindowInsetsControllerCompat(window, window.decorView).apply {
            hide(WindowInsetsCompat.Type.systemBars())
            systemBarsBehavior = WindowInsetsControllerCompat.BEHAVIOR_SHOW_TRANSIENT_BARS_BY_SWIPE
        }
    }

    override fun onWindowFocusChanged(hasFocus: Boolean) {
        super.onWindowFocusChanged(hasFocus)
        if (hasFocus) hideSystemBars()
    }

    override fun onDestroy() {
        camera?.stop()
        camera = null
        core?.shutdown()
        core = null
        super.onDestroy()
    }

    private companion object {
        const val PERMISSIONS = 1
    }
}

// The app's assets are packed in the APK; the Rust side reads overlay
// packs, models and the demo recording as files. They are unpacked into
// files/assets once per app version (a stamp file says which).

package com.ridewire.app

import android.content.Context
import android.content.res.AssetManager
import java.io.File

object Assets {
    private val FOLDERS = listOf("ar", "codes", "markers", "models", "overlays", "plans", "tiles")

    fun unpack(context: Context) {
        val root = File(context.filesDir, "assets")
        val stamp = File(root, ".version")
        val version = context.packageManager.getPackageInfo(context.packageName, 0).longVersionCode.toString()
        if (stamp.isFile && stamp.readText() == version) return
        // Into a fresh folder, moved in place when complete: a crash halfway
        // leaves the old copy (or none), never half of one.
        val fresh = File(context.filesDir, "assets.new").apply { deleteRecursively() }
        for (folder in FOLDERS) copy(context.assets, folder, File(fresh, folder))
        File(fresh, ".version").writeText(version)
        root.deleteRecursively()
        check(fresh.renameTo(root)) { "could not move the unpacked assets into $root" }
    }

    private fun copy(assets: AssetManager, path: String, to: File) {
        val children = assets.list(path).orEmpty()
        if (children.isEmpty()) {
            to.parentFile?.mkdirs()
            assets.open(path).use { input -> to.outputStream().use { input.copyTo(it) } }
            return
        }
        for (child in children) copy(assets, "$path/$child", File(to, child))
    }
}

// The phone's camera for the scanner: each CameraX YUV_420_888 frame is
// packed as NV12 (the Y plane, then U and V interleaved at half
// resolution) for RideWire.pushCameraFrameNv12, which passes it to the
// app's scanner (its "phone" camera, in colour) and tracks the marker in
// the Y plane. The library reads BT.601 video-range levels; a camera that
// sends full range shows a little more contrast. Frames arrive on a
// background executor; CameraX drops frames while one is being handled.

package com.ridewire.app

import android.content.Context
import android.hardware.camera2.CameraCharacteristics
import android.util.Log
import android.util.Size
import androidx.camera.camera2.interop.Camera2CameraInfo
import androidx.camera.camera2.interop.ExperimentalCamera2Interop
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleOwner
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import uniffi.ridewire.RideWire
import uniffi.ridewire.RideWireException

class CameraFeed(
    private val context: Context,
    private val owner: LifecycleOwner,
    private val core: RideWire,
) {
    private val executor: ExecutorService = Executors.newSingleThreadExecutor()
    private var provider: ProcessCameraProvider? = null
    private var nv12 = ByteArray(0)
    private var calibrated = false

    fun start() {
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            val provider = future.get().also { provider = it }
            val analysis = ImageAnalysis.Builder()
                .setResolutionSelector(
                    ResolutionSelector.Builder()
                        .setResolutionStrategy(
                            ResolutionStrategy(Size(1280, 720), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                        )
                        .build(),
                )
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .build()
            analysis.setAnalyzer(executor, ::push)
            provider.unbindAll()
            val camera = provider.bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, analysis)
            calibrate(camera.cameraInfo, analysis)
        }, ContextCompat.getMainExecutor(context))
    }

    /** The lens calibration, when the phone publishes one, scaled to the frames. */
    @androidx.annotation.OptIn(ExperimentalCamera2Interop::class)
    private fun calibrate(info: androidx.camera.core.CameraInfo, analysis: ImageAnalysis) {
        val camera2 = Camera2CameraInfo.from(info)
        val k = camera2.getCameraCharacteristic(CameraCharacteristics.LENS_INTRINSIC_CALIBRATION) ?: return
        val array = camera2.getCameraCharacteristic(CameraCharacteristics.SENSOR_INFO_ACTIVE_ARRAY_SIZE) ?: return
        val size = analysis.resolutionInfo?.resolution ?: return
        val scale = size.width.toDouble() / array.width()
        try {
            core.setCamera(k[0] * scale, k[1] * scale, k[2] * scale, k[3] * scale)
            calibrated = true
        } catch (e: RideWireException) {
            // A calibration the tracker refuses: it guesses from the frame size.
            Log.w(TAG, "camera calibration not used: ${e.message}")
        }
    }

    private fun push(image: ImageProxy) {
        image.use {
            val (width, height) = it.width to it.height
            val (chromaWidth, chromaRows) = (width + 1) / 2 to (height + 1) / 2
            val size = width * height + 2 * chromaWidth * chromaRows
            if (nv12.size != size) nv12 = ByteArray(size)
            // Rows may be padded: copy the Y plane tight, as the bindings expect.
            val y = it.planes[0]
            for (row in 0 until height) {
                y.buffer.position(row * y.rowStride)
                y.buffer.get(nv12, row * width, width)
            }
            // U and V as they come (interleaved already on most phones,
            // planar on some): read each sample by its strides.
            val (u, v) = it.planes[1] to it.planes[2]
            var at = width * height
            for (row in 0 until chromaRows) {
                for (col in 0 until chromaWidth) {
                    nv12[at++] = u.buffer.get(row * u.rowStride + col * u.pixelStride)
                    nv12[at++] = v.buffer.get(row * v.rowStride + col * v.pixelStride)
                }
            }
            try {
                // Camera2 delivers YUV_420_888 in full range (JFIF).
                core.pushCameraFrameNv12(width.toUInt(), height.toUInt(), nv12, true, (it.imageInfo.timestamp / 1_000_000).toULong())
            } catch (e: RideWireException) {
                Log.w(TAG, "camera frame refused: ${e.message}")
            }
        }
    }

    fun stop() {
        provider?.unbindAll()
        executor.shutdown()
    }

    private companion object {
        const val TAG = "RideWireCamera"
    }
}

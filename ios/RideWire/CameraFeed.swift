// The phone's camera for the scanner: AVFoundation delivers bi-planar YUV
// frames (video range, the BT.601 levels the library converts), which go
// whole to RideWire.pushCameraFrameNv12: the app's scanner (its "phone"
// camera) shows them in colour and the tracker reads the Y plane. Late
// frames are dropped, never queued.

import AVFoundation

final class CameraFeed: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate {
    private let core: RideWire
    private let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "com.ridewire.camera")
    private var nv12 = Data()

    init(core: RideWire) {
        self.core = core
    }

    func start() {
        AVCaptureDevice.requestAccess(for: .video) { granted in
            // Without the camera the scanner says so and plays the demo.
            guard granted else { return }
            self.queue.async { self.configure() }
        }
    }

    private func configure() {
        guard let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: device) else { return }
        session.beginConfiguration()
        session.sessionPreset = .hd1280x720
        if session.canAddInput(input) { session.addInput(input) }
        let output = AVCaptureVideoDataOutput()
        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        if session.canAddOutput(output) { session.addOutput(output) }
        // The lens calibration arrives with each frame when asked for.
        if let connection = output.connection(with: .video), connection.isCameraIntrinsicMatrixDeliverySupported {
            connection.isCameraIntrinsicMatrixDeliveryEnabled = true
        }
        session.commitConfiguration()
        session.startRunning()
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sample: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard let pixels = CMSampleBufferGetImageBuffer(sample) else { return }
        if let matrix = CMGetAttachment(sample, key: kCMSampleBufferAttachmentKey_CameraIntrinsicMatrix, attachmentModeOut: nil) as? Data {
            calibrate(matrix)
        }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let chromaRows = CVPixelBufferGetHeightOfPlane(pixels, 1)
        let chromaWidth = 2 * ((width + 1) / 2)
        guard let yBase = CVPixelBufferGetBaseAddressOfPlane(pixels, 0),
              let uvBase = CVPixelBufferGetBaseAddressOfPlane(pixels, 1) else { return }
        let yStride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        let uvStride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 1)
        // Rows may be padded: copy both planes tight, as the bindings expect.
        let size = width * height + chromaWidth * chromaRows
        if nv12.count != size { nv12 = Data(count: size) }
        nv12.withUnsafeMutableBytes { out in
            for row in 0..<height {
                memcpy(out.baseAddress! + row * width, yBase + row * yStride, width)
            }
            let uv = out.baseAddress! + width * height
            for row in 0..<chromaRows {
                memcpy(uv + row * chromaWidth, uvBase + row * uvStride, chromaWidth)
            }
        }
        let time = CMSampleBufferGetPresentationTimeStamp(sample)
        let ms = UInt64(max(0, CMTimeGetSeconds(time) * 1000))
        do {
            // The output asks for ...BiPlanarVideoRange: limited range.
            _ = try core.pushCameraFrameNv12(width: UInt32(width), height: UInt32(height), nv12: nv12, fullRange: false, timestampMs: ms)
        } catch {
            NSLog("RideWire: camera frame refused: \(error)")
        }
    }

    private var calibrated = false

    private func calibrate(_ matrix: Data) {
        guard !calibrated else { return }
        let k = matrix.withUnsafeBytes { $0.load(as: matrix_float3x3.self) }
        // Column-major: fx = k[0][0], fy = k[1][1], cx = k[2][0], cy = k[2][1].
        do {
            try core.setCamera(fx: Double(k[0][0]), fy: Double(k[1][1]), cx: Double(k[2][0]), cy: Double(k[2][1]))
            calibrated = true
        } catch {
            NSLog("RideWire: camera calibration not used: \(error)")
        }
    }
}

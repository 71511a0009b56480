//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while reading frames, calibrations or
/// recordings. Detection itself never fails: a frame without markers is an
/// empty result, not an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// An image file is not a PNG or JPEG this crate can read.
    #[error("{path}: not a readable image: {message}")]
    BadImage {
        /// The image file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A folder given for replay holds no images.
    #[error("{0}: no PNG or JPEG images or recordings found")]
    NoImages(PathBuf),
    /// A frame's pixel buffer does not match its stated size.
    #[error("frame of {width}×{height} needs {expected} bytes, got {got}")]
    FrameSize {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Bytes a buffer of that size and layout needs.
        expected: usize,
        /// Bytes actually given.
        got: usize,
    },
    /// A timestamp sidecar, calibration file or recording is malformed.
    #[error("{path}: {message}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Camera intrinsics that cannot describe a real camera.
    #[error("invalid camera intrinsics: {0}")]
    BadIntrinsics(String),
    /// No camera could be opened (none attached, busy, or permission denied).
    #[error("no camera: {0}")]
    NoCamera(String),
    /// This build has no webcam support (the `webcam` feature is off).
    #[error("this build has no webcam support (it was built without the `webcam` feature)")]
    WebcamUnsupported,
    /// A source running in the background stopped or never started.
    #[error("{0}")]
    SourceFailed(String),
    /// A pushed-frame source whose shell side has gone away.
    #[error("the frame pusher has been closed")]
    SourceClosed,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.into(),
            message: message.into(),
        }
    }
}

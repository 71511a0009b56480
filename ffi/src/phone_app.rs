//! On a phone this library is also the app: the Bevy client, full-screen,
//! over the same SQLite file the bindings open (`DATABASE_FILE` in the
//! app's files folder), with the phone's camera as the scanner's picture.
//!
//! - Android: GameActivity loads `libridewire_ffi.so` and calls
//!   `android_main` (made by `#[bevy_main]`); the activity has unpacked the
//!   assets into `files/assets` first (see `android/app`).
//! - iOS: the Swift app's `main` registers its background task and then
//!   calls `ridewire_run_app`, which hands the thread to UIKit's run loop
//!   (winit's) and never returns; the camera starts with the scanner.
//!
//! The host pushes its camera's frames through `RideWire.push_camera_frame`
//! (see `HostCamera`); the client reads them as its "phone" camera.

use std::path::Path;

use ridewire_client::Options;
use ridewire_client::player::DataSource;
use ridewire_client::scan::CameraChoice;

use crate::DATABASE_FILE;

/// Runs the app over the rider's data in `data_dir`, with the assets the
/// host unpacked into `data_dir/assets`. Returns when the app exits.
fn run(data_dir: &Path) {
    ridewire_app::scan::use_assets_root(data_dir.join("assets"));
    let options = Options {
        data: DataSource::Database(data_dir.join(DATABASE_FILE)),
        camera: Some(CameraChoice::Phone),
        ..Options::default()
    };
    let exit = ridewire_client::build(&options).run();
    if !exit.is_success() {
        bevy::log::error!("RideWire stopped: {exit:?}");
    }
}

// The Swift app's `main` calls `ridewire_run_app` (declared in
// ios/RideWire/RideWireApp.h), an unmangled C function rather than a uniffi
// one so that the generated bindings are the same on every platform.
#[cfg(target_os = "ios")]
#[allow(unsafe_code)]
mod ios {
    use std::ffi::{CStr, c_char};
    use std::path::Path;

    /// Runs the RideWire app over the rider's data in `data_dir` (the app's
    /// Application Support folder, where the Swift app has put `assets`).
    /// Call it last in `main`: UIKit's run loop takes the thread for good.
    ///
    /// # Safety
    ///
    /// `data_dir` is a NUL-terminated path that lives for the call.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn ridewire_run_app(data_dir: *const c_char) {
        if data_dir.is_null() {
            bevy::log::error!("RideWire: started without a data folder");
            return;
        }
        // SAFETY: the caller passes a NUL-terminated string that outlives
        // this call (see above).
        let dir = unsafe { CStr::from_ptr(data_dir) };
        super::run(Path::new(&*dir.to_string_lossy()));
    }
}

// `#[bevy_main]` makes the unmangled `android_main` GameActivity calls.
#[cfg(target_os = "android")]
#[allow(unsafe_code)]
mod android {
    use bevy::prelude::bevy_main;

    #[bevy_main]
    fn main() {
        let Some(activity) = bevy::android::ANDROID_APP.get() else {
            bevy::log::error!("RideWire: started without its Android activity");
            return;
        };
        match activity.internal_data_path() {
            Some(files) => super::run(&files),
            None => bevy::log::error!("RideWire: Android gave the app no files folder"),
        }
    }
}

// The app's entry point in libridewire_ffi.a (ffi/src/phone_app.rs): runs
// the Bevy client over the rider's data in `data_dir` and never returns
// (UIKit's run loop takes the thread).
#pragma once

void ridewire_run_app(const char *data_dir);

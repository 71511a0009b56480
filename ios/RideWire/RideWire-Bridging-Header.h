// What Swift sees of the Rust library besides the uniffi bindings.
#include "RideWireApp.h"

//! `uniffi-bindgen generate LIBRARY -l python -l kotlin -l swift -o DIR`:
//! the bindings of `ridewire-ffi`, read from the compiled library (run it
//! inside the workspace: it asks cargo for the crate's `uniffi.toml`).

fn main() {
    uniffi::uniffi_bindgen_main()
}

//! Fuzz target `sigstore_bundle`: see palisade_fuzz::sigstore_bundle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::sigstore_bundle(data));

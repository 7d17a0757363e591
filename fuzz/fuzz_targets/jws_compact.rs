//! Fuzz target `jws_compact`: see palisade_fuzz::jws_compact.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::jws_compact(data));

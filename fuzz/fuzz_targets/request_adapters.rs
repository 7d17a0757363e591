//! Fuzz target `request_adapters`: see palisade_fuzz::request_adapters.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::request_adapters(data));

//! Fuzz target `inspect_engine`: see palisade_fuzz::inspect_engine.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::inspect_engine(data));

//! Fuzz target `sse_framer`: see palisade_fuzz::sse_framer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::sse_framer(data));

//! Fuzz target `stream_filter`: see palisade_fuzz::stream_filter.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::stream_filter(data));

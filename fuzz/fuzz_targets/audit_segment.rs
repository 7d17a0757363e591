//! Fuzz target `audit_segment`: see palisade_fuzz::audit_segment.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::audit_segment(data));

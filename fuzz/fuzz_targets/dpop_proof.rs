//! Fuzz target `dpop_proof`: see palisade_fuzz::dpop_proof.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::dpop_proof(data));

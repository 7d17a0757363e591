//! Fuzz target `dsse_intoto`: see palisade_fuzz::dsse_intoto.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::dsse_intoto(data));

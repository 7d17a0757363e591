//! Fuzz target `x509_sct`: see palisade_fuzz::x509_sct.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::x509_sct(data));

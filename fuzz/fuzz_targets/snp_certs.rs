//! Fuzz target `snp_certs`: see palisade_fuzz::snp_certs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::snp_certs(data));

//! Fuzz target `snp_report`: see palisade_fuzz::snp_report.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::snp_report(data));

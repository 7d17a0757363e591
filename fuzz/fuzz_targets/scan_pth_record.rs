//! Fuzz target `scan_pth_record`: see palisade_fuzz::scan_pth_record.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::scan_pth_record(data));

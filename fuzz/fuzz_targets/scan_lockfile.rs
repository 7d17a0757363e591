//! Fuzz target `scan_lockfile`: see palisade_fuzz::scan_lockfile.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::scan_lockfile(data));

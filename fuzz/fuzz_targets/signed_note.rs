//! Fuzz target `signed_note`: see palisade_fuzz::signed_note.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::signed_note(data));

//! Fuzz target `config_toml`: see palisade_fuzz::config_toml.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::config_toml(data));

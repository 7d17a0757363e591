//! The `palisade` command line. (Skeleton: filled in by the gateway issue.)

fn main() {
    eprintln!("palisade: not built yet");
    std::process::exit(2);
}

//! Runs a scan over the given paths and prints the table (manual tuning and benchmarking aid).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let report = palisade_scan::scan(
        &paths,
        &palisade_scan::ScanOptions::default(),
        &palisade_scan::AdvisoryDb::empty(),
    )?;
    print!("{}", palisade_scan::render_table(&report));
    Ok(())
}

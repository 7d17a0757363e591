//! The scan engine: walk the roots, run the metadata pre-pass, then read, hash and analyze
//! every file on `threads` workers, and finish with RECORD verification, advisory matching
//! and the tree digest.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::advisories::AdvisoryDb;
use crate::context::Contexts;
use crate::error::ScanError;
use crate::finding::{ScanFinding, ScanReport};
use crate::options::{Progress, ScanOptions};
use crate::packages::PackageRef;
use crate::{heuristics, lockfiles, pth, python_dist, workflows};

/// Result of one file.
#[derive(Default)]
struct Outcome {
    digest: [u8; 32],
    bytes: u64,
    executable: bool,
    findings: Vec<ScanFinding>,
    packages: Vec<PackageRef>,
}

/// Scans `paths` (files or directories) and returns the report.
pub fn scan(
    paths: &[PathBuf],
    opts: &ScanOptions,
    db: &AdvisoryDb,
) -> Result<ScanReport, ScanError> {
    let start = Instant::now();
    let (files, keys) = collect(paths, opts)?;
    let mut findings = Vec::new();
    let mut packages = Vec::new();
    let ctx = Contexts::build(&files, &mut findings, &mut packages)?;
    let outcomes = run_workers(&files, opts, &ctx)?;

    let mut digests: HashMap<PathBuf, [u8; 32]> = HashMap::with_capacity(files.len());
    let mut executables = Vec::new();
    let mut tree: Vec<(&str, [u8; 32])> = Vec::with_capacity(files.len());
    let mut bytes = 0u64;
    for ((path, key), o) in files.iter().zip(&keys).zip(outcomes) {
        bytes += o.bytes;
        tree.push((key.as_str(), o.digest));
        if o.executable {
            executables.push(path.clone());
        }
        digests.insert(path.clone(), o.digest);
        findings.extend(o.findings);
        packages.extend(o.packages);
    }
    if opts.verify_record {
        python_dist::verify_records(
            &ctx.dists,
            &digests,
            |p| hash_file(p).ok().map(|(d, _, _)| d),
            &mut findings,
        );
        python_dist::unlisted_executables(&ctx.dists, &executables, &mut findings);
    }
    db.findings(&packages, &mut findings);

    tree.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Sha256::new();
    for (k, d) in &tree {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(hex::encode(d).as_bytes());
        h.update(b"\n");
    }
    let mut report = ScanReport {
        findings,
        suppressed: Default::default(),
        files_scanned: files.len() as u64,
        bytes_scanned: bytes,
        tree_digest: hex::encode(h.finalize()),
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        scanner_version: env!("CARGO_PKG_VERSION").to_owned(),
        packages,
        sbom_sha256: None,
    };
    report.sort();
    Ok(report)
}

/// Lists regular files (no symlinks followed) and their digest keys (path relative to its
/// root, prefixed by the root index when several roots are scanned).
fn collect(
    paths: &[PathBuf],
    opts: &ScanOptions,
) -> Result<(Vec<PathBuf>, Vec<String>), ScanError> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for (i, root) in paths.iter().enumerate() {
        if !root.exists() {
            return Err(ScanError::MissingPath(root.clone()));
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| {
                !(e.depth() > 0
                    && e.file_type().is_dir()
                    && opts.skip_dirs.iter().any(|s| e.file_name() == s.as_str()))
            });
        for entry in walker {
            let entry = entry.map_err(|e| {
                let p = e.path().map_or_else(|| root.clone(), Path::to_owned);
                ScanError::io(
                    &p,
                    e.into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("directory walk failed")),
                )
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .ok()
                .filter(|r| !r.as_os_str().is_empty());
            let rel = rel.map_or_else(
                || entry.file_name().to_string_lossy().into_owned(),
                |r| r.to_string_lossy().into_owned(),
            );
            let key = if paths.len() > 1 {
                format!("{i}:{rel}")
            } else {
                rel
            };
            out.push((key, entry.into_path()));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.1 == b.1);
    Ok(out.into_iter().map(|(k, p)| (p, k)).unzip())
}

fn run_workers(
    files: &[PathBuf],
    opts: &ScanOptions,
    ctx: &Contexts,
) -> Result<Vec<Outcome>, ScanError> {
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let error: Mutex<Option<ScanError>> = Mutex::new(None);
    let total = files.len() as u64;
    let threads = opts.threads.clamp(1, 64);
    let mut parts: Vec<Vec<(usize, Outcome)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut local = Vec::new();
                    let mut buf = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        match process(path, opts, ctx, &mut buf) {
                            Ok(o) => local.push((i, o)),
                            Err(e) => {
                                stop.store(true, Ordering::Relaxed);
                                if let Ok(mut slot) = error.lock() {
                                    slot.get_or_insert(e);
                                }
                                break;
                            }
                        }
                        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if let Some(cb) = &opts.progress {
                            if d & 511 == 0 || d == total {
                                cb(Progress {
                                    files_done: d,
                                    files_total: total,
                                });
                            }
                        }
                    }
                    local
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(p) => parts.push(p),
                Err(_) => stop.store(true, Ordering::Relaxed),
            }
        }
    });
    if let Some(e) = error.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut all: Vec<(usize, Outcome)> = parts.into_iter().flatten().collect();
    if all.len() != files.len() {
        return Err(ScanError::Usage(
            "a scan worker stopped unexpectedly".into(),
        ));
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, o)| o).collect())
}

fn hash_file(path: &Path) -> Result<([u8; 32], u64, bool), ScanError> {
    let mut f = std::fs::File::open(path).map_err(|e| ScanError::io(path, e))?;
    let exec = is_executable(&f);
    let mut h = Sha256::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut chunk).map_err(|e| ScanError::io(path, e))?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(chunk.get(..n).unwrap_or(&[]));
    }
    Ok((h.finalize().into(), n_total, exec))
}

#[cfg(unix)]
fn is_executable(f: &std::fs::File) -> bool {
    use std::os::unix::fs::PermissionsExt;
    f.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_f: &std::fs::File) -> bool {
    false
}

const SOURCE_EXTS: &[&str] = &["py", "js", "cjs", "mjs", "ts", "sh"];

fn process(
    path: &Path,
    opts: &ScanOptions,
    ctx: &Contexts,
    buf: &mut Vec<u8>,
) -> Result<Outcome, ScanError> {
    let mut f = std::fs::File::open(path).map_err(|e| ScanError::io(path, e))?;
    let meta = f.metadata().map_err(|e| ScanError::io(path, e))?;
    let mut o = Outcome {
        executable: is_executable(&f),
        ..Outcome::default()
    };
    if meta.len() > opts.max_analyze_bytes {
        let (d, n, _) = hash_file(path)?;
        o.digest = d;
        o.bytes = n;
        return Ok(o);
    }
    buf.clear();
    f.read_to_end(buf).map_err(|e| ScanError::io(path, e))?;
    o.digest = Sha256::digest(&buf[..]).into();
    o.bytes = buf.len() as u64;

    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let wants_text = ext == "pth"
        || (opts.source_heuristics && SOURCE_EXTS.contains(&ext))
        || lockfiles::classify(path).is_some()
        || workflows::is_workflow(path);
    if !wants_text {
        return Ok(o);
    }
    let text = String::from_utf8_lossy(buf);
    let file = path.to_string_lossy();
    if ext == "pth" {
        pth::analyze(&file, &text, &mut o.findings);
    } else if let Some(kind) = lockfiles::classify(path) {
        lockfiles::analyze(kind, &file, &text, &mut o.packages, &mut o.findings);
    } else if workflows::is_workflow(path) {
        workflows::analyze(&file, &text, &mut o.findings);
    } else {
        heuristics::analyze_source(&file, &text, ctx.package_of(path), &mut o.findings);
    }
    Ok(o)
}

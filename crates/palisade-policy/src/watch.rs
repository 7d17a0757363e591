//! Polling watcher: a std thread compares the policy directory's (name, size, mtime) listing at
//! a fixed interval and calls `PolicyEngine::reload_from_dir` on change. Polling (not inotify)
//! because it behaves the same on every filesystem, including bind mounts and ConfigMaps.

use crate::engine::PolicyEngine;
use crate::error::PolicyError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

type Fingerprint = Vec<(String, u64, Option<SystemTime>)>;

/// Listing of the files a reload reads (`*.cedar`, `*.toml`), sorted.
fn fingerprint(dir: &Path) -> Result<Fingerprint, PolicyError> {
    let io = |e| PolicyError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".cedar") || name.ends_with(".toml")) {
            continue;
        }
        let meta = entry.metadata().map_err(io)?;
        out.push((name, meta.len(), meta.modified().ok()));
    }
    out.sort();
    Ok(out)
}

/// A running watcher; stops (and joins) when dropped or on [`PolicyWatcher::stop`].
#[derive(Debug)]
pub struct PolicyWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PolicyWatcher {
    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A panicked watcher thread has nothing left to clean up.
            let _ = t.join();
        }
    }
}

impl Drop for PolicyWatcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts polling `dir` every `interval`; each change triggers one reload attempt (refusals are
/// counted in the engine's metrics and logged, and the old set keeps serving).
pub fn watch(
    engine: Arc<PolicyEngine>,
    dir: PathBuf,
    interval: Duration,
) -> Result<PolicyWatcher, PolicyError> {
    let mut last = fingerprint(&dir)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("palisade-policy-watch".into())
        .spawn(move || {
            // Sleep in short steps so `stop` is honoured quickly even with long intervals.
            let step = interval.min(Duration::from_millis(50));
            let mut waited = Duration::ZERO;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(step);
                waited += step;
                if waited < interval {
                    continue;
                }
                waited = Duration::ZERO;
                match fingerprint(&dir) {
                    Ok(now) if now != last => {
                        last = now;
                        // Outcome is recorded in metrics and logged by the engine.
                        let _ = engine.reload_from_dir(&dir);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "policy watch cannot list directory"),
                }
            }
        })
        .map_err(|e| PolicyError::Io {
            path: PathBuf::from("<watch thread>"),
            source: e,
        })?;
    Ok(PolicyWatcher {
        stop,
        thread: Some(thread),
    })
}

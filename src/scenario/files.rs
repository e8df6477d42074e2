//! The only place a scenario makes archsim read a file: the scenario itself and the files it
//! names (arrival traces). Scenario files are untrusted (a class runs a lecturer's files, CI
//! runs a contributor's), so what they may read is decided here, once:
//!
//! - a file a scenario names must lie under the scenario's own folder: no absolute paths, no
//!   `..` that leaves it, no symbolic link that leads out of it, unless the command line
//!   allows another folder (`--allow-read DIR`, `FileAccess::allow`);
//! - only regular files are read (never a FIFO, a device or `/dev/stdin`, which could block
//!   or never end), and only up to a stated size, and each trace once per command (every
//!   point of a sweep shares what it gave);
//! - a message about a file never shows its content: a file that is not what was expected
//!   could be anyone's secret.

use super::workloads::TraceFile;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use crate::limits::{MAX_SCENARIO_BYTES, MAX_TRACE_BYTES};

/// Folders, besides each scenario's own, whose files a scenario may name, and the traces
/// read from them so far.
#[derive(Clone, Debug, Default)]
pub struct FileAccess {
    /// Canonical paths of the folders allowed on the command line.
    extra: Vec<PathBuf>,
    /// Each trace read, by the path it was resolved to, for the others that name it (a
    /// sweep's every point): shared by the clones of this value.
    traces: Arc<Mutex<HashMap<PathBuf, Arc<TraceFile>>>>,
}

impl FileAccess {
    /// Also lets scenarios read files under `dir` (what `--allow-read DIR` says).
    pub fn allow(&mut self, dir: &Path) -> Result<(), String> {
        let canonical = dir
            .canonicalize()
            .map_err(|e| format!("{}: cannot use it with --allow-read: {e}", dir.display()))?;
        if !canonical.is_dir() {
            return Err(format!(
                "{}: --allow-read takes a folder, not a file",
                dir.display()
            ));
        }
        self.extra.push(canonical);
        Ok(())
    }

    /// The trace at `path` (as `resolve` gave it), read with `read` the first time only.
    pub(super) fn trace(&self, path: &Path, read: impl FnOnce() -> TraceFile) -> Arc<TraceFile> {
        let mut traces = self.traces.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = traces.get(path) {
            return t.clone();
        }
        let t = Arc::new(read());
        traces.insert(path.to_path_buf(), t.clone());
        t
    }

    /// Resolves a file named by a scenario that lives in `base` (its folder), checking that
    /// the scenario may read it; the error says why not, without touching what it names
    /// when the name alone is refused.
    pub fn resolve(&self, base: &Path, named: &str) -> Result<PathBuf, String> {
        if named.is_empty() {
            return Err("the file name is empty".into());
        }
        if named.contains('\0') {
            return Err("the file name contains a NUL character".into());
        }
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        let requested = Path::new(named);
        let lexical = base.join(requested);
        let stays_inside = !requested.has_root() && !leaves_by_dotdot(requested);
        let outside = || {
            format!(
                "\"{named}\" is outside the scenario's folder; a scenario reads only files under its own folder (name them relative to it, without `..`), unless the command line allows another folder with --allow-read DIR"
            )
        };
        // A name that leaves the folder is refused without looking at what it names, unless
        // another folder is allowed (then where it leads decides).
        if !stays_inside && self.extra.is_empty() {
            return Err(outside());
        }
        let canonical = match lexical.canonicalize() {
            Ok(c) => c,
            Err(_) if !stays_inside => return Err(outside()),
            Err(e) => {
                return Err(format!(
                    "cannot open \"{named}\" (looked for {}): {}",
                    lexical.display(),
                    io_reason(&e)
                ))
            }
        };
        let home = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
        let allowed =
            canonical.starts_with(&home) || self.extra.iter().any(|r| canonical.starts_with(r));
        if !allowed && !stays_inside {
            return Err(outside());
        }
        if !allowed {
            return Err(format!(
                "\"{named}\" leads outside the scenario's folder (through a symbolic link); a scenario reads only files under its own folder, unless the command line allows another folder with --allow-read DIR"
            ));
        }
        Ok(canonical)
    }
}

/// Whether a relative path climbs above where it starts (`a/../../b` does, `a/../b` does not).
fn leaves_by_dotdot(p: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in p.components() {
        match c {
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
    }
    false
}

/// The words for an I/O error, without the OS's error number.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A digest of a file's content (64-bit FNV-1a): enough to tell that a trace changed between
/// the shards of a run, the same on every machine and build. Not a defence against a file
/// made to collide on purpose (whoever could do that could change the scenario itself).
pub fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Reads a regular text file of at most `max` bytes. `what` names it in messages ("the
/// scenario", "the trace"); messages never quote the file's content.
pub fn read_text(path: &Path, what: &str, max: u64) -> Result<String, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {what}: {}", io_reason(&e)))?;
    if !meta.is_file() {
        return Err(format!(
            "{what} is not a regular file (a folder, a device or a pipe); archsim reads only regular files"
        ));
    }
    if meta.len() > max {
        return Err(too_big(what, max));
    }
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {what}: {}", io_reason(&e)))?;
    // The file may have changed since it was looked at: check what was opened, and never read
    // more than the limit.
    match file.metadata() {
        Ok(m) if m.is_file() => {}
        _ => return Err(format!("{what} is not a regular file")),
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what}: {}", io_reason(&e)))?;
    if bytes.len() as u64 > max {
        return Err(too_big(what, max));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{what} is not UTF-8 text (byte {} is not), so it cannot be a scenario or a CSV trace",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

fn too_big(what: &str, max: u64) -> String {
    format!(
        "{what} is larger than {} MiB, the most archsim reads",
        max >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotdot_that_climbs_out_is_seen() {
        assert!(leaves_by_dotdot(Path::new("../x.csv")));
        assert!(leaves_by_dotdot(Path::new("a/../../x.csv")));
        assert!(leaves_by_dotdot(Path::new("/etc/passwd")));
        assert!(!leaves_by_dotdot(Path::new("a/../x.csv")));
        assert!(!leaves_by_dotdot(Path::new("./traces/x.csv")));
    }

    #[test]
    fn a_name_that_leaves_the_folder_is_refused_before_looking_at_it() {
        let access = FileAccess::default();
        for named in [
            "/etc/hostname",
            "../../../etc/hostname",
            "/proc/self/environ",
        ] {
            let e = access.resolve(Path::new("scenarios"), named).unwrap_err();
            assert!(e.contains("outside the scenario's folder"), "{named}: {e}");
        }
    }
}

//! Where sled's files live in the data dir, and how a compaction replaces them.
//!
//! sled is log-structured: a removed or overwritten record stays in its log segment until sled
//! happens to clean that segment, which it does on its own schedule (when little of a segment
//! is still live) and never on request; sled 0.34 has no API to force it. So kmsd compacts by
//! copying: every live record goes into a fresh database in the next *generation*, and the old
//! one's files are removed. A data dir holds its database directly (generation 0, the layout
//! kmsd has always written) or in `gen-N/` once compacted; `gen-N.complete`, written after the
//! copy is flushed, marks a generation as usable, so a compaction cut short leaves the old
//! generation in charge and its leftovers are removed at the next open.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The files and directories sled 0.34 keeps in its directory (`snap.` is a prefix).
const SLED_NAMES: [&str; 3] = ["conf", "db", "blobs"];
const SLED_SNAPSHOT_PREFIX: &str = "snap.";

const GENERATION_PREFIX: &str = "gen-";
const COMPLETE_SUFFIX: &str = ".complete";

/// The database kmsd uses in a data dir: its generation and the directory sled opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Generation {
    pub(super) number: u64,
    pub(super) path: PathBuf,
}

impl Generation {
    /// The newest complete generation in `dir`, else generation 0 (the dir itself).
    pub(super) fn current(dir: &Path) -> io::Result<Generation> {
        let mut newest = 0;
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(number) = name
                .to_str()
                .and_then(|n| n.strip_prefix(GENERATION_PREFIX))
                .and_then(|n| n.strip_suffix(COMPLETE_SUFFIX))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if dir.join(generation_dir(number)).is_dir() {
                newest = newest.max(number);
            }
        }
        Ok(Generation::numbered(dir, newest))
    }

    /// Generation `number` of `dir`.
    pub(super) fn numbered(dir: &Path, number: u64) -> Generation {
        let path = if number == 0 {
            dir.to_owned()
        } else {
            dir.join(generation_dir(number))
        };
        Generation { number, path }
    }

    /// Whether `dir` holds a kmsd database at all.
    pub(super) fn exists_in(dir: &Path) -> io::Result<bool> {
        let current = Generation::current(dir)?;
        Ok(current.number > 0 || dir.join("db").is_file())
    }

    /// Marks this generation complete: from now on it is the one kmsd opens.
    pub(super) fn mark_complete(&self, dir: &Path) -> io::Result<()> {
        let marker = dir.join(format!("{}{COMPLETE_SUFFIX}", generation_dir(self.number)));
        fs::File::create(&marker)?.sync_all()?;
        // The marker's directory entry must be on disk too.
        fs::File::open(dir)?.sync_all()
    }

    /// The bytes its files take.
    pub(super) fn size(&self) -> u64 {
        sled_entries(&self.path)
            .iter()
            .map(|path| tree_size(path))
            .sum()
    }
}

/// Why users other than its owner could read or change what an existing data dir holds, if
/// they could: the dir is writable by them, or they may enter it and read one of kmsd's files
/// in it. (A dir they may only list, as Docker makes the image's `/data`, exposes nothing while
/// the files are its owner's only, which kmsd makes them.) `None` for a dir that does not exist.
pub fn exposure(dir: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| {
        fs::symlink_metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .ok()
    };
    let dir_mode = mode(dir)?;
    if dir_mode & 0o022 != 0 {
        return Some(format!(
            "other users may change the data dir {} (mode {dir_mode:o})",
            dir.display()
        ));
    }
    if dir_mode & 0o011 == 0 {
        return None;
    }
    let mut kmsd_entries = sled_entries(dir);
    if let Ok(entries) = fs::read_dir(dir) {
        kmsd_entries.extend(
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(GENERATION_PREFIX)
                })
                .map(|e| e.path()),
        );
    }
    let mut pending = kmsd_entries;
    while let Some(path) = pending.pop() {
        let Some(entry_mode) = mode(&path) else {
            continue;
        };
        if entry_mode & 0o066 != 0 {
            return Some(format!(
                "other users may read {} in the data dir (mode {entry_mode:o})",
                path.display()
            ));
        }
        if path.is_dir()
            && let Ok(entries) = fs::read_dir(&path)
        {
            pending.extend(entries.filter_map(Result::ok).map(|e| e.path()));
        }
    }
    None
}

/// Removes everything of `dir` that is not generation `current`: older generations, a newer
/// one whose copy never completed, and, once a generation exists, the files of generation 0.
/// Call it only while holding `current`'s lock, so that no other kmsd is still using them.
pub(super) fn remove_stale(dir: &Path, current: u64) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(GENERATION_PREFIX) else {
            continue;
        };
        let (number, is_marker) = match rest.strip_suffix(COMPLETE_SUFFIX) {
            Some(number) => (number, true),
            None => (rest, false),
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        if number == current {
            continue;
        }
        if is_marker {
            // Older markers go once their generation has; a newer one cannot exist, since
            // `current` is the newest complete generation.
            if !dir.join(generation_dir(number)).exists() {
                remove_file(&entry.path())?;
            }
        } else {
            remove_tree(&entry.path())?;
            remove_file(&dir.join(format!("{name}{COMPLETE_SUFFIX}")))?;
        }
    }
    if current > 0 {
        for path in sled_entries(dir) {
            remove_tree(&path)?;
        }
    }
    Ok(())
}

fn generation_dir(number: u64) -> String {
    format!("{GENERATION_PREFIX}{number}")
}

/// sled's files and directories in `dir`.
fn sled_entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter_map(|name| name.to_str().map(str::to_owned))
        .filter(|name| {
            SLED_NAMES.contains(&name.as_str()) || name.starts_with(SLED_SNAPSHOT_PREFIX)
        })
        .map(|name| dir.join(name))
        .collect()
}

fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| tree_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

/// Removes a file or a directory tree; one that is already gone is fine.
fn remove_tree(path: &Path) -> io::Result<()> {
    let removed = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn remove_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

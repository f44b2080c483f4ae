//! `ilion sstable`: Cassandra's SSTable tools for files Cassandra or Ilion
//! wrote — `dump` (as `sstabledump`), `metadata` (as `sstablemetadata`)
//! and `verify` (every checksum, every partition decoded in order, and the
//! components without checksums checked against the data).

mod cardinality;
mod consistency;
mod dump;
mod json;
mod layout;
mod metadata;
mod scrub_report;
mod verify;

use clap::{Args, Subcommand};
use std::error::Error;
use std::path::{Path, PathBuf};

/// `ilion sstable ...`.
#[derive(Args)]
pub struct SstableArgs {
    #[command(subcommand)]
    command: SstableCommand,
}

#[derive(Subcommand)]
enum SstableCommand {
    /// Prints an SSTable's partitions as JSON, in the shape of Cassandra's
    /// sstabledump.
    Dump {
        /// A `*-Data.db` file, or a table directory (every SSTable in it,
        /// their partitions one SSTable after another in one array).
        path: PathBuf,
        /// Only the partition with this key, found through the index: text
        /// as sstabledump takes it (`0` for a text key, `100` for an int
        /// key, components joined with `:` for a compound key).
        #[arg(short = 'k', long)]
        key: Option<String>,
    },
    /// Prints what Statistics.db says of an SSTable, as Cassandra's
    /// sstablemetadata does.
    Metadata {
        /// A `*-Data.db` file, or a table directory.
        path: PathBuf,
    },
    /// Checks every checksum of an SSTable, decodes every partition in
    /// order, and checks Index.db, Summary.db, Filter.db and Statistics.db
    /// against the data; exits non-zero on damage.
    Verify {
        /// A `*-Data.db` file, or a table directory.
        path: PathBuf,
    },
}

/// Runs one `ilion sstable` command.
pub fn run(args: &SstableArgs) -> Result<(), Box<dyn Error>> {
    match &args.command {
        SstableCommand::Dump { path, key } => dump::run(&data_files(path)?, key.as_deref()),
        SstableCommand::Metadata { path } => metadata::run(&data_files(path)?),
        SstableCommand::Verify { path } => verify::run(&data_files(path)?),
    }
}

/// The `*-Data.db` files `path` names: itself, or those in the directory
/// (sorted; files being written, `tmp-*`, left out).
fn data_files(path: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let is_data = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("-Data.db") && !n.starts_with("tmp-"))
    };
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.is_file() {
        if !is_data(path) {
            return Err(format!("{} is not a *-Data.db file", path.display()).into());
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(path).map_err(|e| format!("cannot list {}: {e}", path.display()))?
    {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", path.display()))?;
        if is_data(&entry.path()) {
            files.push(entry.path());
        }
    }
    if files.is_empty() {
        return Err(format!("no *-Data.db file in {}", path.display()).into());
    }
    files.sort();
    Ok(files)
}

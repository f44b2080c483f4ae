//! `ilion`: the command-line tool — stress benchmarks and the SSTable
//! tools (`ilion sstable dump|metadata|verify`).

mod commitlog_stress;
mod report;
mod sstable;
mod store;
mod stress;
mod ycsb;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Ilion's command-line tool.
#[derive(Parser)]
#[command(name = "ilion", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Latency and throughput benchmark of the engine (db_bench's
    /// workloads on a key-value table). With no flags: fillrandom then
    /// readrandom, 200,000 operations each, in a temporary directory.
    Stress(stress::StressArgs),
    /// The commitlog alone, in every sync mode (appends, latency, appends
    /// per fsync).
    CommitlogStress(commitlog_stress::StressArgs),
    /// SSTable tools: dump (as Cassandra's sstabledump), metadata (as
    /// sstablemetadata) and verify.
    Sstable(sstable::SstableArgs),
}

/// The directory a benchmark runs in: `dir` when given (kept), else a
/// temporary one, removed when the returned guard drops.
fn data_dir(
    dir: Option<&std::path::PathBuf>,
) -> std::io::Result<(std::path::PathBuf, Option<tempfile::TempDir>)> {
    match dir {
        Some(dir) => Ok((dir.clone(), None)),
        None => {
            let temp = tempfile::tempdir()?;
            Ok((temp.path().to_path_buf(), Some(temp)))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Stress(args) => stress::run(&args),
        Command::CommitlogStress(args) => commitlog_stress::run(&args),
        Command::Sstable(args) => sstable::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ilion: {e}");
            ExitCode::FAILURE
        }
    }
}

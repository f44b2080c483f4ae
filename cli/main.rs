//! `ilion`: the command-line tool — stress benchmarks now, operator and
//! SSTable tools as they arrive.

mod stress;

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
    /// Latency and throughput benchmark. With no flags: the commitlog in
    /// every sync mode, in a temporary directory, in well under a minute.
    Stress(stress::StressArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Stress(args) => stress::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ilion: {e}");
            ExitCode::FAILURE
        }
    }
}

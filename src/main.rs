#![forbid(unsafe_code)]
//! `kasse`: the cashier's screen, the headless commands and the simulator. Parses the command
//! line and hands it to [`kasse::cli::run`] on the async runtime; nothing else lives here.

use clap::Parser;
use kasse::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The local offset must be read before threads start.
    let _ = time::UtcOffset::current_local_offset();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kasse: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(kasse::cli::run(cli));
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

//! The `union-bot` binary: loads `.env`, sets up logging, runs the command
//! line and maps the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    // A missing .env is normal; settings may come from the environment.
    let _ = dotenvy::dotenv();
    union_bot::config::init_tracing();
    union_bot::cli::main()
}

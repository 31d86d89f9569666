//! The AWS Lambda `bootstrap` of realizar (`provided.al2023`): one
//! current-thread tokio runtime driving [`realizar_lambda::runtime::run`].
//! Exits 1 when init fails (after reporting it to `/init/error`) or when
//! the Runtime API goes away.

use std::process::ExitCode;

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("realizar-lambda: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(realizar_lambda::runtime::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("realizar-lambda: {e}");
            ExitCode::FAILURE
        }
    }
}

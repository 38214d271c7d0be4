//! Running the real `kasse` binary from a test: one config, one data dir, the PIN from the
//! environment as a shop's script would pass it (never in argv).

use std::path::Path;
use std::process::{Command, Output};

/// The binary cargo built for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_kasse");

/// `kasse --config CFG --data-dir DIR ARGS…` with `KASSE_PIN=pin` when given (the simulator's
/// base URL from the environment is removed, so the config decides).
pub fn kasse(args: &[&str], cfg: &Path, dir: &Path, pin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    if let Some(pin) = pin {
        cmd.env("KASSE_PIN", pin);
    }
    cmd.env_remove("KASSE_BASE_URL")
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run the kasse binary")
}

/// Exit status, stdout and stderr in one text (for assertion messages).
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Pin the install id of the database in `dir` to `00000001` (predictable references).
pub fn pin_install(dir: &Path) {
    kasse::store::Store::open_in_dir(dir)
        .expect("open the store")
        .with_id_gen(std::sync::Arc::new(kasse::clock::FixedFirstIds::pinned(1)))
        .install_id()
        .expect("the install id");
}

/// [`pin_install`] for `dir` and for the `demo/` data dir `--demo` uses inside it.
pub fn pin_install_with_demo(dir: &Path) {
    pin_install(dir);
    pin_install(&dir.join("demo"));
}

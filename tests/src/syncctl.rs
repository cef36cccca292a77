//! Running `syncctl validate` (the candidate of the differential test).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::view::View;

/// Locates `syncctl`: `$SYNCCTL_BIN`, else `<repo>/target/debug/syncctl`. Fails loudly
/// when it has not been built.
pub fn syncctl_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SYNCCTL_BIN") {
        return Ok(PathBuf::from(path));
    }
    let path = crate::repo_root()
        .join("target")
        .join("debug")
        .join("syncctl");
    if !path.is_file() {
        bail!(
            "{} does not exist: build it first: cargo build -p syncd",
            path.display()
        );
    }
    Ok(path)
}

/// The inputs given to `syncctl validate`.
#[derive(Debug, Clone, Default)]
pub struct ValidateArgs {
    pub static_file: Option<PathBuf>,
    pub files: Option<PathBuf>,
    pub consul_export: Option<PathBuf>,
}

impl ValidateArgs {
    /// The command line arguments (after the binary).
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["validate".to_owned()];
        let mut push = |flag: &str, path: &Option<PathBuf>| {
            if let Some(path) = path {
                args.push(flag.to_owned());
                args.push(path.to_string_lossy().into_owned());
            }
        };
        push("--static", &self.static_file);
        push("--files", &self.files);
        push("--consul-export", &self.consul_export);
        args.push("--format".to_owned());
        args.push("json".to_owned());
        args
    }

    /// The command as a shell line, for messages.
    pub fn command_line(&self, binary: &Path) -> String {
        let mut line = binary.display().to_string();
        for arg in self.args() {
            line.push(' ');
            line.push_str(&arg);
        }
        line
    }
}

/// What `syncctl validate` answered.
#[derive(Debug, Clone)]
pub struct Report {
    /// The full JSON report.
    pub json: Value,
    /// Its objects, canonical.
    pub view: View,
    /// Exit code (0 no errors, 1 configuration errors).
    pub exit_code: i32,
}

impl Report {
    /// `providers.<name>.status` when the report states one.
    pub fn provider_status(&self, provider: &str) -> Option<&str> {
        self.json
            .get("providers")?
            .get(provider)?
            .get("status")?
            .as_str()
    }
}

/// Runs `syncctl validate ... --format json`; exit codes 0 and 1 are reports, anything else
/// is an error (with stderr).
pub fn validate(binary: &Path, args: &ValidateArgs) -> Result<Report> {
    let output = Command::new(binary)
        .args(args.args())
        .output()
        .with_context(|| format!("running {}", args.command_line(binary)))?;
    let exit_code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if exit_code != 0 && exit_code != 1 {
        bail!(
            "`{}` exited with {exit_code}\nstderr:\n{stderr}\nstdout:\n{stdout}",
            args.command_line(binary)
        );
    }
    let json: Value = serde_json::from_str(&stdout).with_context(|| {
        format!(
            "`{}` did not print a JSON report\nstdout:\n{stdout}\nstderr:\n{stderr}",
            args.command_line(binary)
        )
    })?;
    let view = View::from_report(&json)
        .context("the report's objects do not have the contract's shape")?;
    Ok(Report {
        json,
        view,
        exit_code,
    })
}

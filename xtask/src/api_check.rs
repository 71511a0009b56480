//! The API check: schemathesis, from a Python virtual environment kept in
//! the build directory, over the real `ridewire-server` binary
//! (`server/api-check/run.py` says how).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The check's driver and its pinned tools, relative to the workspace.
const DRIVER: &str = "server/api-check/run.py";
const REQUIREMENTS: &str = "server/api-check/requirements.txt";

/// Makes the virtual environment under `target` (again when the pinned
/// requirements changed) and returns the `schemathesis` command in it.
fn tools(root: &Path, target: &Path) -> Result<PathBuf, String> {
    let venv = target.join("api-check-venv");
    let wanted = std::fs::read_to_string(root.join(REQUIREMENTS))
        .map_err(|e| format!("{REQUIREMENTS}: {e}"))?;
    let stamp = venv.join("requirements.txt");
    let tool = venv.join("bin").join("schemathesis");
    if tool.exists() && std::fs::read_to_string(&stamp).is_ok_and(|had| had == wanted) {
        return Ok(tool);
    }
    eprintln!("==> installing the API check's tools in {}", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("could not run python3: {e}"))?;
    if !created.success() {
        return Err(format!(
            "python3 -m venv {} failed ({created})",
            venv.display()
        ));
    }
    let pip = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(root.join(REQUIREMENTS))
        .status()
        .map_err(|e| format!("could not run pip: {e}"))?;
    if !pip.success() {
        return Err(format!(
            "installing {REQUIREMENTS} failed ({pip}); it needs the network to PyPI"
        ));
    }
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(tool)
}

/// The command that runs the check against the server built in `target`.
pub fn command(root: &Path, target: &Path) -> Result<Command, String> {
    let server = target.join("debug").join("ridewire-server");
    if !server.exists() {
        return Err(format!(
            "{} is not built; the server's tests build it",
            server.display()
        ));
    }
    let tool = tools(root, target)?;
    let mut cmd = Command::new("python3");
    cmd.arg(root.join(DRIVER))
        .arg("--server")
        .arg(server)
        .arg("--schemathesis")
        .arg(tool)
        .current_dir(root);
    Ok(cmd)
}

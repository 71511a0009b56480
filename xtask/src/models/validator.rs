//! Runs the Khronos glTF Validator (npm package `gltf-validator`) over every
//! checked-in model. Needs Node.js and npm; without them the test says so
//! and passes, unless `RIDEWIRE_REQUIRE_GLTF_VALIDATOR=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The validator release the test installs (a fixed one, for repeatable runs).
const VALIDATOR: &str = "gltf-validator@2.0.0-dev.3.10";

/// Prints one JSON line per file: its path and the issue counts.
const SCRIPT: &str = r#"
const validator = require('gltf-validator');
const fs = require('fs');
(async () => {
  for (const file of process.argv.slice(2)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)));
    console.log(JSON.stringify({
      file,
      errors: report.issues.numErrors,
      warnings: report.issues.numWarnings,
      messages: report.issues.messages.slice(0, 5),
    }));
  }
})().catch((e) => { console.error(e); process.exit(1); });
"#;

/// Installs the validator once per machine; `Err` says why it could not.
fn installed() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join("ridewire-gltf-validator");
    if dir.join("node_modules/gltf-validator").is_dir() {
        return Ok(dir);
    }
    for tool in ["node", "npm"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!("{tool} is not installed"));
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(VALIDATOR)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if out.status.success() {
        Ok(dir)
    } else {
        Err(format!(
            "npm install {VALIDATOR} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn every_model_passes_the_khronos_gltf_validator() {
    let required = std::env::var("RIDEWIRE_REQUIRE_GLTF_VALIDATOR").as_deref() == Ok("1");
    let dir = match installed() {
        Ok(dir) => dir,
        Err(why) if required => panic!("RIDEWIRE_REQUIRE_GLTF_VALIDATOR=1 but {why}"),
        Err(why) => {
            eprintln!("skipping the glTF validator: {why}");
            return;
        }
    };
    let script = dir.join("validate.js");
    std::fs::write(&script, SCRIPT).expect("write the script");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let models: Vec<PathBuf> = super::MODELS
        .iter()
        .map(|id| root.join(format!("assets/models/{id}.glb")))
        .collect();
    let out = Command::new("node")
        .arg(&script)
        .args(&models)
        .current_dir(&dir)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("report line"))
        .collect();
    assert_eq!(reports.len(), models.len(), "every model was validated");
    for r in reports {
        assert_eq!(r["errors"], 0, "{r}");
        assert_eq!(r["warnings"], 0, "{r}");
    }
}

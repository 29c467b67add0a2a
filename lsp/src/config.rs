//! Where the server's settings come from, in two layers:
//!
//! 1. a [`SettingsSource`] gives the base settings for a package directory (today the
//!    defaults; a `faultline.toml` source plugs in here) and says which files it reads, so
//!    the server can watch them and call [`SettingsSource::reload`];
//! 2. the client's overrides ([`ClientOptions`], from `initializationOptions` and
//!    `workspace/didChangeConfiguration`) are applied on top.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rules::{GoVersion, Selector, Settings};
use serde::Deserialize;

/// Base settings for a directory.
pub struct Resolved {
    /// Identifies the configuration these settings came from (e.g. the config file), so
    /// directories sharing it share one engine. `None`: built-in defaults.
    pub key: Option<PathBuf>,
    pub settings: Settings,
    /// Problems worth telling the user (a config file that does not parse).
    pub errors: Vec<String>,
}

/// A provider of base settings.
pub trait SettingsSource: Send {
    /// The settings that apply to the Go files of `dir` (`None`: a buffer with no file).
    fn resolve(&mut self, dir: Option<&Path>) -> Resolved;
    /// Glob patterns of the files this source reads (watched through the client).
    fn watch_globs(&self) -> Vec<String>;
    /// Whether a changed file is one this source reads.
    fn is_config_file(&self, path: &Path) -> bool;
    /// Forget anything cached: the files changed.
    fn reload(&mut self);
}

/// The built-in defaults: every rule, the go.mod `go` line.
#[derive(Default)]
pub struct Defaults;

impl SettingsSource for Defaults {
    fn resolve(&mut self, _dir: Option<&Path>) -> Resolved {
        Resolved {
            key: None,
            settings: Settings::default(),
            errors: Vec::new(),
        }
    }

    fn watch_globs(&self) -> Vec<String> {
        // Watched already so that a config-file source needs no client-side change.
        vec![
            "**/faultline.toml".to_string(),
            "**/.faultline.toml".to_string(),
        ]
    }

    fn is_config_file(&self, path: &Path) -> bool {
        path.file_name()
            .is_some_and(|n| n == "faultline.toml" || n == ".faultline.toml")
    }

    fn reload(&mut self) {}
}

/// `faultline.toml` / `.faultline.toml`, found upward from each package directory the
/// same way the CLI finds it, parsed once per file until a watched change reloads it.
#[derive(Default)]
pub struct ConfigFiles {
    cache: std::collections::HashMap<PathBuf, Result<rules::Config, String>>,
}

impl SettingsSource for ConfigFiles {
    fn resolve(&mut self, dir: Option<&Path>) -> Resolved {
        let Some(dir) = dir else {
            return Defaults.resolve(None);
        };
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let Some(path) = rules::find_config(&abs, Path::exists) else {
            return Defaults.resolve(Some(dir));
        };
        let loaded = self.cache.entry(path.clone()).or_insert_with(|| {
            rules::Config::load(&path, |p| std::fs::read_to_string(p)).map_err(|e| e.to_string())
        });
        let mut settings = Settings::default();
        let mut errors = Vec::new();
        match loaded {
            Ok(config) => config.apply(&mut settings),
            Err(e) => errors.push(format!("{e} (using the defaults)")),
        }
        Resolved {
            key: Some(path),
            settings,
            errors,
        }
    }

    fn watch_globs(&self) -> Vec<String> {
        Defaults.watch_globs()
    }

    fn is_config_file(&self, path: &Path) -> bool {
        Defaults.is_config_file(path)
    }

    fn reload(&mut self) {
        self.cache.clear();
    }
}

/// Settings the client may pass (camelCase JSON), in `initializationOptions` or
/// `workspace/didChangeConfiguration` (either at the top level or under `faultline`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientOptions {
    /// Only these rules or families (replaces the base selection when non-empty).
    pub select: Option<Vec<String>>,
    /// Skip these rules or families.
    pub ignore: Option<Vec<String>>,
    /// Assume this Go version instead of the go.mod `go` line.
    pub go_version: Option<String>,
    /// Edits closer together than this many milliseconds are a burst, linted once when
    /// it ends; an isolated edit is linted at once.
    pub debounce_ms: Option<u64>,
}

/// The default debounce: long enough to fold a burst of change notifications (an editor
/// sending one per cursor, a formatter's edits) into one lint, short enough to add
/// nothing a typist notices. Keystrokes come tens of milliseconds apart; a burst arrives
/// within microseconds.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(5);

impl ClientOptions {
    /// Read options from a JSON value; unknown keys are ignored, a malformed value is an
    /// error message (the previous options stay in force).
    pub fn from_json(v: &serde_json::Value) -> Result<Option<ClientOptions>, String> {
        let v = match v {
            serde_json::Value::Object(m) if m.contains_key("faultline") => &m["faultline"],
            other => other,
        };
        match v {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Object(m) if m.is_empty() => Ok(None),
            _ => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| format!("faultline settings ignored: {e}")),
        }
    }

    pub fn debounce(&self) -> Duration {
        self.debounce_ms
            .map(|ms| Duration::from_millis(ms.min(5_000)))
            .unwrap_or(DEFAULT_DEBOUNCE)
    }

    /// Apply the overrides to base settings; invalid entries are skipped and reported.
    pub fn apply(&self, mut settings: Settings) -> (Settings, Vec<String>) {
        let mut errors = Vec::new();
        let mut parse = |items: &Option<Vec<String>>| -> Vec<Selector> {
            items
                .iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .filter_map(|s| match Selector::parse(s) {
                    Ok(sel) => Some(sel),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                })
                .collect()
        };
        let select = parse(&self.select);
        let ignore = parse(&self.ignore);
        settings.select(&select, &ignore);
        if let Some(v) = self.go_version.as_ref().filter(|v| !v.trim().is_empty()) {
            match GoVersion::parse(v) {
                Some(v) => settings.go_version = Some(v),
                None => errors.push(format!("goVersion: `{v}` is not a Go version like 1.22")),
            }
        }
        (settings, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_are_read_flat_or_under_faultline() {
        let flat = ClientOptions::from_json(&json!({"select": ["time"], "goVersion": "1.22"}))
            .unwrap()
            .unwrap();
        let nested = ClientOptions::from_json(
            &json!({"faultline": {"select": ["time"], "goVersion": "1.22"}}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(flat, nested);
        assert_eq!(ClientOptions::from_json(&json!(null)).unwrap(), None);
        assert!(ClientOptions::from_json(&json!({"select": 3})).is_err());
    }

    #[test]
    fn overrides_apply_and_bad_entries_are_reported() {
        let opts = ClientOptions {
            select: Some(vec!["time".into(), "tikc-leak".into()]),
            ignore: Some(vec!["tick-leak".into()]),
            go_version: Some("1.22".into()),
            debounce_ms: None,
        };
        let (s, errors) = opts.apply(Settings::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("did you mean `tick-leak`"), "{errors:?}");
        assert!(
            !s.enabled
                .contains(rules::registry::index_of("tick-leak").unwrap())
        );
        assert!(
            s.enabled
                .contains(rules::registry::index_of("ticker-not-stopped").unwrap())
        );
        assert_eq!(s.go_version, Some(GoVersion::new(1, 22)));
    }
}

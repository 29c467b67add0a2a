// Shared by `linter/tests/cli.rs` and the unit tests of `linter/src/output/sarif.rs`
// (through `include!`): a JSON-schema validator for SARIF 2.1.0.

/// The official SARIF 2.1.0 schema as a draft-07 validator.
///
/// One fix is made in memory: the `language` properties' `pattern` in the published
/// schema is `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, whose stray `]` is not a valid
/// ECMA-262 regex, so a strict draft-07 validator rejects the schema itself. It is
/// replaced by the language-tag pattern it was meant to be. faultline never writes a
/// `language`, so this does not loosen any check of its output.
pub fn sarif_validator() -> jsonschema::Validator {
    const TYPO: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    fn fix(v: &mut serde_json::Value, n: &mut usize) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == TYPO {
                        *x = serde_json::json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                        *n += 1;
                    } else {
                        fix(x, n);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fix(x, n)),
            _ => {}
        }
    }
    let text = include_str!("sarif-schema-2.1.0.json");
    let mut schema: serde_json::Value = serde_json::from_str(text).expect("the schema is JSON");
    let mut fixed = 0;
    fix(&mut schema, &mut fixed);
    assert!(fixed > 0, "the known typo is in the schema");
    jsonschema::draft7::new(&schema).expect("the SARIF schema compiles")
}

/// Every schema violation of `v`, one line each.
pub fn sarif_errors(v: &serde_json::Value) -> Vec<String> {
    sarif_validator()
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

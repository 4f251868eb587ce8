//! Service control policies: `aws organizations describe-policy` output.
//!
//! No Organizations CLI output says both a policy and the account it applies to, so
//! the pairing comes from where the responder saved the file: an SCP applies to every
//! 12-digit account id in its path (`scps/111122223333/p-1a2b3c.json`). An SCP whose
//! path names no account is reported and not applied: applying it everywhere could hide
//! real reach.

use serde_json::Value;

use super::gaad::Gaad;
use super::policy::{Parsed, parse_document};
use crate::import::{ImportError, Warning};

#[derive(Debug)]
pub struct Scp {
    pub name: String,
    pub doc: Parsed,
}

/// 12-digit account ids named in a path.
fn accounts_in(path: &str) -> Vec<String> {
    let mut found: Vec<String> = path
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 12)
        .map(str::to_string)
        .collect();
    found.dedup();
    found
}

/// Reads one `describe-policy` output.
pub fn read(
    bytes: &[u8],
    file: &str,
    gaad: &mut Gaad,
    warnings: &mut Vec<Warning>,
) -> Result<(), ImportError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    let policy = doc.get("Policy").unwrap_or(&Value::Null);
    let summary = policy.get("PolicySummary").unwrap_or(&Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let kind = text(summary, "Type");
    if kind != "SERVICE_CONTROL_POLICY" {
        warnings.push(Warning::new(
            file,
            "/Policy/PolicySummary/Type",
            format!("organization policy of type {kind:?} ignored (only SCPs limit IAM)"),
        ));
        return Ok(());
    }
    let name = format!("SCP {} ({})", text(summary, "Name"), text(summary, "Id"));
    let content = policy.get("Content").unwrap_or(&Value::Null);
    let doc = match parse_document(content) {
        Ok(doc) => doc,
        Err(e) => {
            warnings.push(Warning::new(
                file,
                "/Policy/Content",
                format!("{name}: {e}; not applied"),
            ));
            return Ok(());
        }
    };
    for e in &doc.problems {
        warnings.push(Warning::new(
            file,
            "/Policy/Content",
            format!("{name}: {e}"),
        ));
    }
    let accounts = accounts_in(file);
    if accounts.is_empty() {
        let message = format!(
            "{name} is not applied: name the account it applies to in the file's path (for example scps/111122223333/{})",
            file.rsplit('/').next().unwrap_or(file)
        );
        warnings.push(Warning::new(file, "", message));
        return Ok(());
    }
    for account in accounts {
        gaad.scps.entry(account).or_default().push(Scp {
            name: name.clone(),
            doc: Parsed {
                statements: doc.statements.clone(),
                problems: Vec::new(),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::accounts_in;

    #[test]
    fn accounts_come_from_the_path() {
        assert_eq!(
            accounts_in("scps/111122223333/p-1a2b3c4d.json"),
            ["111122223333"]
        );
        assert_eq!(
            accounts_in("org/scp.111122223333.444455556666.json"),
            ["111122223333", "444455556666"]
        );
        assert!(
            accounts_in("scps/p-1234567890123.json").is_empty(),
            "13 digits are no account"
        );
    }
}

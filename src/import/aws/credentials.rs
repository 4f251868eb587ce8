//! Long-term credentials: the IAM credential report (CSV, or `get-credential-report` JSON
//! with `Content` in base64 or raw) and `list-access-keys` listings.
//!
//! The report says whether a user has a console password, MFA and active keys, and when
//! each key was last used, but never a key id; listings give the ids. They are joined
//! per user by key creation time (a key's `last_rotated` is its creation date).

use std::collections::BTreeMap;

use base64::Engine;
use jiff::Timestamp;
use serde_json::Value;

use crate::import::{ImportError, Warning};
use crate::model::Place;

/// One access-key slot of a credential-report row.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    pub active: bool,
    pub last_rotated: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct ReportRow {
    pub user: String,
    pub arn: String,
    pub password_enabled: bool,
    pub mfa_active: bool,
    pub keys: [Slot; 2],
    pub file: String,
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct Listed {
    pub user: String,
    pub id: String,
    pub status: String,
    pub created: Option<Timestamp>,
    pub file: String,
    pub place: Place,
}

/// `aws iam get-access-key-last-used` output: it names the user, not the key.
#[derive(Debug, Clone)]
pub struct LastUsed {
    pub user: String,
    pub when: Option<Timestamp>,
    pub file: String,
}

#[derive(Debug, Default)]
pub struct Credentials {
    /// Rows by user ARN.
    pub report: BTreeMap<String, ReportRow>,
    pub listed: Vec<Listed>,
    pub last_used: Vec<LastUsed>,
}

/// Report values: `N/A`, `no_information` and `not_supported` mean "none".
fn time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

fn yes(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

impl Credentials {
    /// Reads a credential report: the CSV itself or the API's JSON around it.
    pub fn read_report(&mut self, bytes: &[u8], file: &str) -> Result<(), ImportError> {
        let trimmed = bytes.trim_ascii_start();
        let csv_text: Vec<u8> = if trimmed.starts_with(b"{") {
            let doc: Value =
                serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
            let content =
                doc.get("Content")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ImportError::Invalid {
                        file: file.to_string(),
                        message: "credential report JSON has no \"Content\"".into(),
                    })?;
            if content.starts_with("user,") {
                content.as_bytes().to_vec()
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(content.trim())
                    .map_err(|e| ImportError::Invalid {
                        file: file.to_string(),
                        message: format!(
                            "credential report \"Content\" is neither CSV nor base64: {e}"
                        ),
                    })?
            }
        } else {
            bytes.to_vec()
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(csv_text.as_slice());
        let headers = reader
            .headers()
            .map_err(|e| csv_error(file, 1, &e))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let need = |name: &str| {
            col(name).ok_or_else(|| ImportError::Csv {
                file: file.to_string(),
                line: 1,
                message: format!("credential report has no '{name}' column"),
            })
        };
        let (user, arn) = (need("user")?, need("arn")?);
        let cols = |prefix: &str| {
            (
                col(&format!("{prefix}_active")),
                col(&format!("{prefix}_last_rotated")),
                col(&format!("{prefix}_last_used_date")),
            )
        };
        let slots = [cols("access_key_1"), cols("access_key_2")];
        let (password, mfa) = (col("password_enabled"), col("mfa_active"));
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = record.map_err(|e| csv_error(file, line, &e))?;
            let get = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("");
            let arn = get(Some(arn)).to_string();
            if arn.ends_with(":root") || arn.is_empty() {
                continue;
            }
            let slot =
                |(active, rotated, used): (Option<usize>, Option<usize>, Option<usize>)| Slot {
                    active: yes(get(active)),
                    last_rotated: time(get(rotated)),
                    last_used: time(get(used)),
                };
            self.report.insert(
                arn.clone(),
                ReportRow {
                    user: get(Some(user)).to_string(),
                    arn,
                    password_enabled: yes(get(password)),
                    mfa_active: yes(get(mfa)),
                    keys: [slot(slots[0]), slot(slots[1])],
                    file: file.to_string(),
                    line,
                },
            );
        }
        Ok(())
    }

    /// Reads `aws iam list-access-keys` output.
    pub fn read_listing(
        &mut self,
        bytes: &[u8],
        file: &str,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), ImportError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
        let list = doc
            .get("AccessKeyMetadata")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, key) in list.iter().enumerate() {
            let text = |k: &str| key.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let id = text("AccessKeyId");
            if id.is_empty() {
                warnings.push(Warning::new(
                    file,
                    format!("/AccessKeyMetadata/{i}"),
                    "access key without AccessKeyId skipped",
                ));
                continue;
            }
            self.listed.push(Listed {
                user: text("UserName"),
                status: text("Status"),
                created: time(&text("CreateDate")),
                id,
                file: file.to_string(),
                place: Place::Other(format!("/AccessKeyMetadata/{i}").into()),
            });
        }
        Ok(())
    }

    /// Reads `aws iam get-access-key-last-used` output.
    pub fn read_last_used(&mut self, bytes: &[u8], file: &str) -> Result<(), ImportError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
        let used = doc.get("AccessKeyLastUsed");
        self.last_used.push(LastUsed {
            user: doc
                .get("UserName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            when: used
                .and_then(|u| u.get("LastUsedDate"))
                .and_then(Value::as_str)
                .and_then(time),
            file: file.to_string(),
        });
        Ok(())
    }

    /// The report slot a listed key fills: same user, creation time equal to the slot's
    /// `last_rotated` (to the second).
    pub fn slot_of(&self, row: &ReportRow, key: &Listed) -> Option<usize> {
        let created = key.created?;
        row.keys.iter().position(|s| {
            s.last_rotated
                .is_some_and(|t| t.as_second() == created.as_second())
        })
    }
}

fn csv_error(file: &str, line: u64, e: &csv::Error) -> ImportError {
    ImportError::Csv {
        file: file.to_string(),
        line,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
        ci,arn:aws:iam::1:user/ci,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2024-01-02T00:00:00+00:00,2026-11-20T00:00:00+00:00,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";

    #[test]
    fn report_as_csv_raw_json_and_base64_json() {
        let base64 = base64::engine::general_purpose::STANDARD.encode(CSV);
        for input in [
            CSV.to_string(),
            serde_json::json!({"Content": CSV, "ReportFormat": "text/csv"}).to_string(),
            serde_json::json!({"Content": base64, "ReportFormat": "text/csv", "GeneratedTime": "2026-11-25T00:00:00Z"}).to_string(),
        ] {
            let mut creds = Credentials::default();
            creds.read_report(input.as_bytes(), "r").expect("reads");
            let row = &creds.report["arn:aws:iam::1:user/ci"];
            assert!(row.keys[0].active && !row.keys[1].active);
            assert_eq!(row.keys[0].last_used, "2026-11-20T00:00:00Z".parse().ok());
            assert!(!row.password_enabled);
        }
        let mut creds = Credentials::default();
        let err = creds
            .read_report(
                br#"{"Content": "%%%", "ReportFormat": "text/csv"}"#,
                "r.json",
            )
            .expect_err("not base64");
        assert!(err.to_string().contains("neither CSV nor base64"));
    }

    #[test]
    fn listed_keys_fill_report_slots_by_creation_time() {
        let mut creds = Credentials::default();
        creds.read_report(CSV.as_bytes(), "r").expect("reads");
        let mut warnings = Vec::new();
        creds
            .read_listing(
                br#"{"AccessKeyMetadata": [{"UserName": "ci", "AccessKeyId": "AKIAEXAMPLE000000001", "Status": "Active", "CreateDate": "2024-01-02T00:00:00Z"}]}"#,
                "k.json",
                &mut warnings,
            )
            .expect("reads");
        let row = &creds.report["arn:aws:iam::1:user/ci"];
        assert_eq!(creds.slot_of(row, &creds.listed[0]), Some(0));
        assert!(warnings.is_empty());
    }
}

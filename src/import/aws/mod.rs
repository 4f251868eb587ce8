//! AWS IAM: `get-account-authorization-details` exports, evaluated into trust and
//! privilege-escalation edges.
//!
//! Files are collected first (a GAAD may be split into pages, and trust crosses
//! accounts); edges are derived once every file is read.

pub(crate) mod commands;
mod credentials;
mod edges;
mod escalation;
mod eval;
mod gaad;
pub mod policy;
mod providers;
mod scp;
mod trust;

use jiff::Timestamp;
use serde_json::Value;

pub(crate) use gaad::Gaad;

/// Everything read from AWS exports, turned into nodes and edges once all files are in.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    pub gaad: Gaad,
    pub credentials: credentials::Credentials,
    pub providers: providers::Providers,
}

use super::{Builder, ImportError};
use crate::model::TrustGraph;

impl Gaad {
    /// The groups a user belongs to (GAAD lists them by name, within its account).
    pub(crate) fn groups_of<'a>(
        &'a self,
        p: &'a gaad::Principal,
    ) -> impl Iterator<Item = &'a gaad::Group> + 'a {
        p.groups.iter().filter_map(move |name| {
            self.groups
                .values()
                .find(|g| g.account == p.account && g.name == *name)
        })
    }
}

/// Reads one GAAD file (or page).
pub(super) fn read_gaad(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    if !doc.is_object() {
        return Err(ImportError::Invalid {
            file: file.to_string(),
            message: "an authorization-details export is a JSON object".into(),
        });
    }
    builder.aws.gaad.read(&doc, file, &mut builder.warnings);
    Ok(())
}

/// Reads a credential report (CSV, or the `get-credential-report` JSON).
pub(super) fn read_credential_report(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    builder.aws.credentials.read_report(bytes, file)
}

/// Reads `list-open-id-connect-providers`, `get-open-id-connect-provider` or
/// `list-saml-providers` output.
pub(super) fn read_providers(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    builder
        .aws
        .providers
        .read(bytes, file, &mut builder.warnings)
}

/// Reads `aws organizations describe-policy` output (an SCP).
pub(super) fn read_scp(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    scp::read(bytes, file, &mut builder.aws.gaad, &mut builder.warnings)
}

/// Reads `aws iam list-access-keys` or `get-access-key-last-used` output.
pub(super) fn read_access_keys(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    // Both are small JSON objects; the last-used one names the user, not the key.
    if bytes.windows(19).any(|w| w == b"\"AccessKeyLastUsed\"") {
        builder.aws.credentials.read_last_used(bytes, file)
    } else {
        builder
            .aws
            .credentials
            .read_listing(bytes, file, &mut builder.warnings)
    }
}

/// Derives AWS nodes and edges from everything read, as of `at`.
pub(super) fn finish(
    aws: &mut Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<super::Warning>,
    at: Timestamp,
) {
    aws.gaad.add_well_known();
    let creds = &aws.credentials;
    if aws.gaad.principals.is_empty()
        && creds.report.is_empty()
        && creds.listed.is_empty()
        && aws.providers.by_arn.is_empty()
    {
        return;
    }
    edges::build(
        &aws.gaad,
        creds,
        &aws.providers,
        graph,
        warnings,
        policy::Context::session(at),
    );
}

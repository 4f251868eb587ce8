//! `az` commands that both the importer (in its revoke entries) and the plan's catalogue
//! print, built once here.

use crate::shell::{Cmd, Piece};

/// `az WORDS…`
pub(crate) fn az<'a>(words: impl IntoIterator<Item = &'a str>) -> Cmd {
    Cmd::new("az").args(words)
}

/// Disables a service principal (by object id or app id): it signs in no more.
pub(crate) fn disable_sp(id: impl Into<Piece>) -> Cmd {
    az(["ad", "sp", "update", "--id"])
        .arg(id)
        .args(["--set", "accountEnabled=false"])
}

//! Identity providers: `list-open-id-connect-providers`, `get-open-id-connect-provider`
//! and `list-saml-providers`. Trust policies name providers by ARN; these listings add
//! what a responder needs about them (issuer URL, audiences, expiry) and the node's
//! revoke action.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::import::{ImportError, Warning};
use crate::model::Place;

#[derive(Debug, Clone, Default)]
pub struct Provider {
    pub arn: String,
    /// OIDC issuer URL without the scheme (`token.actions.githubusercontent.com`).
    pub url: Option<String>,
    pub audiences: Vec<String>,
    pub valid_until: Option<String>,
    pub file: String,
    pub place: Place,
}

#[derive(Debug, Default)]
pub struct Providers {
    pub by_arn: BTreeMap<String, Provider>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Providers {
    /// Reads any of the three provider outputs (detected by their keys).
    pub fn read(
        &mut self,
        bytes: &[u8],
        file: &str,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), ImportError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
        for key in ["OpenIDConnectProviderList", "SAMLProviderList"] {
            for (i, p) in doc
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(arn) = p.get("Arn").and_then(Value::as_str) else {
                    warnings.push(Warning::new(
                        file,
                        format!("/{key}/{i}"),
                        "provider without Arn skipped",
                    ));
                    continue;
                };
                let entry = self
                    .by_arn
                    .entry(arn.to_string())
                    .or_insert_with(|| Provider {
                        arn: arn.to_string(),
                        file: file.to_string(),
                        place: Place::Other(format!("/{key}/{i}").into()),
                        ..Provider::default()
                    });
                if let Some(until) = p.get("ValidUntil").and_then(Value::as_str) {
                    entry.valid_until = Some(until.to_string());
                }
            }
        }
        // get-open-id-connect-provider names no ARN: it is matched to listed or trusted
        // providers by URL when edges are built.
        if let Some(url) = doc.get("Url").and_then(Value::as_str) {
            let url = url.trim_start_matches("https://").to_string();
            let key = format!("url:{url}");
            self.by_arn.insert(
                key.clone(),
                Provider {
                    arn: key,
                    url: Some(url),
                    audiences: strings(doc.get("ClientIDList")),
                    file: file.to_string(),
                    place: Place::Other("/".into()),
                    ..Provider::default()
                },
            );
        }
        Ok(())
    }

    /// Details for a provider ARN: its listing, merged with a `get-open-id-connect-provider`
    /// whose URL the ARN ends with.
    pub fn details(&self, arn: &str) -> Option<Provider> {
        let listed = self.by_arn.get(arn).cloned();
        let url = arn.split_once(":oidc-provider/").map(|(_, u)| u);
        let described = url.and_then(|u| self.by_arn.get(&format!("url:{u}")));
        match (listed, described) {
            (None, None) => None,
            (Some(p), None) => Some(Provider {
                url: url.map(str::to_string),
                ..p
            }),
            (listed, Some(d)) => {
                let mut p = listed.unwrap_or_else(|| Provider {
                    arn: arn.to_string(),
                    file: d.file.clone(),
                    place: d.place.clone(),
                    ..Provider::default()
                });
                p.url = d.url.clone();
                p.audiences = d.audiences.clone();
                Some(p)
            }
        }
    }

    /// Provider ARNs listed (not the URL-only descriptions).
    pub fn listed(&self) -> impl Iterator<Item = &Provider> {
        self.by_arn.values().filter(|p| !p.arn.starts_with("url:"))
    }
}

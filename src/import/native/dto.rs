//! The element types of the native format, twice over.
//!
//! `strict` refuses a field it does not know: the usual element is parsed once and nothing
//! records its keys as they go by (noting every key, as `serde_ignored` does to name the
//! unknown ones, cost a tenth of the load). An element refused for an unknown field is
//! parsed again with the `lenient` types through `serde_ignored`, exactly as every element
//! was before: unknown fields are skipped (not built: a huge one costs no memory), named,
//! and everything else — duplicate fields, error places — is as strict as ever.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use jiff::Timestamp;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::model::{AccessLevel, EdgeKind, NodeKind};

/// Defines the element types in `strict` (refusing unknown fields) and in `lenient`
/// (skipping them), with the conversion from the lenient to the strict ones. A field
/// type naming another element type names the one of its own module.
macro_rules! element_types {
    ($(
        $(#[doc = $doc:literal])*
        struct $name:ident $(<$lt:lifetime>)? {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty, )*
        }
    )*) => {
        pub(super) mod strict {
            use super::*;
            $(
                $(#[doc = $doc])*
                #[derive(Deserialize)]
                #[cfg_attr(test, derive(Debug))]
                #[serde(deny_unknown_fields)]
                pub(in crate::import::native) struct $name $(<$lt>)? {
                    $( $(#[$field_meta])* pub(in crate::import::native) $field: $ty, )*
                }
            )*
        }

        pub(super) mod lenient {
            use super::*;
            $(
                #[derive(Deserialize)]
                pub(in crate::import::native) struct $name $(<$lt>)? {
                    $( $(#[$field_meta])* $field: $ty, )*
                }

                impl $(<$lt>)? From<$name $(<$lt>)?> for super::strict::$name $(<$lt>)? {
                    fn from(v: $name $(<$lt>)?) -> Self {
                        super::strict::$name { $( $field: Strict::strict(v.$field), )* }
                    }
                }
            )*
        }
    };
}

element_types! {
    struct NodeDto<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
        kind: NodeKind,
        #[serde(borrow, default)]
        platform: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        name: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        scope: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        owner: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        purpose: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        environment: Option<Cow<'a, str>>,
        #[serde(default)]
        criticality: Option<u8>,
        #[serde(default)]
        admin: bool,
        #[serde(default)]
        tags: BTreeMap<String, String>,
        #[serde(default)]
        credential: Option<CredentialDto>,
        #[serde(borrow, default)]
        revoke: Vec<RevokeDto<'a>>,
        #[serde(borrow, default)]
        provenance: Option<ProvenanceDto<'a>>,
    }

    struct CredentialDto {
        #[serde(rename = "type", default)]
        kind: Option<String>,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        created: Option<Timestamp>,
        #[serde(default)]
        expires: Option<Timestamp>,
        #[serde(default)]
        last_used: Option<Timestamp>,
        #[serde(default)]
        last_rotated: Option<Timestamp>,
        #[serde(default)]
        long_lived: Option<bool>,
        #[serde(default)]
        copyable: Option<bool>,
    }

    struct EdgeDto<'a> {
        #[serde(borrow)]
        from: Cow<'a, str>,
        #[serde(borrow)]
        to: Cow<'a, str>,
        kind: EdgeKind,
        #[serde(borrow, default)]
        reason: Cow<'a, str>,
        #[serde(default)]
        conditions: Vec<ConditionDto<ConditionFields>>,
        #[serde(default)]
        dormant: bool,
        #[serde(default)]
        potential: bool,
        #[serde(default)]
        asserted: bool,
        #[serde(borrow, default)]
        technique: Option<Cow<'a, str>>,
        #[serde(default)]
        level: Option<AccessLevel>,
        #[serde(borrow, default)]
        revoke: Vec<RevokeDto<'a>>,
        #[serde(borrow, default)]
        provenance: Option<ProvenanceDto<'a>>,
    }

    /// A revoke entry as written, borrowed: most edges list the same entries as the edge
    /// before them (a policy's grants), which are then shared without building them first.
    struct RevokeDto<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        action: Cow<'a, str>,
        #[serde(default = "default_cost")]
        cost: u32,
        #[serde(borrow, default)]
        commands: Vec<Cow<'a, str>>,
    }

    /// A structured condition as written (the model's type would take any field).
    struct ConditionFields {
        description: String,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        operator: Option<String>,
        #[serde(default)]
        values: Vec<String>,
    }

    struct ProvenanceDto<'a> {
        #[serde(borrow)]
        file: Cow<'a, str>,
        #[serde(borrow, default)]
        at: Cow<'a, str>,
    }
}

fn default_cost() -> u32 {
    1
}

/// A condition may be written as plain text or as the structured object `F`. Deserialized
/// by hand rather than as an untagged enum, so that a bad condition gets a real message and
/// fields unknown inside it are refused or reported like any other.
#[cfg_attr(test, derive(Debug))]
pub(super) enum ConditionDto<F> {
    Text(String),
    Full(F),
}

impl<'de, F: Deserialize<'de>> Deserialize<'de> for ConditionDto<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ConditionVisitor(PhantomData))
    }
}

struct ConditionVisitor<F>(PhantomData<F>);

impl<'de, F: Deserialize<'de>> Visitor<'de> for ConditionVisitor<F> {
    type Value = ConditionDto<F>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a condition: a string, or an object with \"description\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ConditionDto<F>, E> {
        Ok(ConditionDto::Text(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ConditionDto<F>, A::Error> {
        F::deserialize(de::value::MapAccessDeserializer::new(map)).map(ConditionDto::Full)
    }
}

/// A lenient field value as the strict type's: the same value, or one holding lenient
/// element types converted.
trait Strict<T> {
    fn strict(self) -> T;
}

impl<T> Strict<T> for T {
    fn strict(self) -> T {
        self
    }
}

impl Strict<Option<strict::CredentialDto>> for Option<lenient::CredentialDto> {
    fn strict(self) -> Option<strict::CredentialDto> {
        self.map(Into::into)
    }
}

impl<'a> Strict<Option<strict::ProvenanceDto<'a>>> for Option<lenient::ProvenanceDto<'a>> {
    fn strict(self) -> Option<strict::ProvenanceDto<'a>> {
        self.map(Into::into)
    }
}

impl<'a> Strict<Vec<strict::RevokeDto<'a>>> for Vec<lenient::RevokeDto<'a>> {
    fn strict(self) -> Vec<strict::RevokeDto<'a>> {
        self.into_iter().map(Into::into).collect()
    }
}

impl Strict<Vec<ConditionDto<strict::ConditionFields>>>
    for Vec<ConditionDto<lenient::ConditionFields>>
{
    fn strict(self) -> Vec<ConditionDto<strict::ConditionFields>> {
        self.into_iter()
            .map(|c| match c {
                ConditionDto::Text(text) => ConditionDto::Text(text),
                ConditionDto::Full(f) => ConditionDto::Full(f.into()),
            })
            .collect()
    }
}

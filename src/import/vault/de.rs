//! Lenient field types for Vault's JSON, and the KV reader that drops secret values as
//! it parses: a KV read's `data` is walked for its field names, each value skipped by
//! `IgnoredAny` without ever being copied out of the input.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// `visit_*` for every scalar, each returning `$value`: a visitor that never quotes the
/// value it was given (serde's default error for an unexpected type prints it).
macro_rules! scalars {
    ($ty:ty, $value:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$ty, E> {
            $value
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$ty, E> {
            $value
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$ty, E> {
            $value
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$ty, E> {
            $value
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$ty, E> {
            $value
        }
        fn visit_unit<E: de::Error>(self) -> Result<$ty, E> {
            $value
        }
    };
}

/// A list Vault prints as an array, or that a user wrote as a comma-separated string
/// (`vault write … token_policies=a,b` is stored as an array, but older exports and
/// hand-made files hold the string); `null` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Strings(pub Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strings, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings or a comma-separated string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Strings, E> {
                Ok(Strings(
                    s.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                ))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Strings, E> {
                Ok(Strings::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Strings, E> {
                Ok(Strings::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Scalar>()? {
                    if let Some(s) = item.text() {
                        out.push(s);
                    }
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl Strings {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A number or a string as Vault prints it (TTLs in seconds, or `"1h"`), kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ttl(pub String);

impl<'de> Deserialize<'de> for Ttl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ttl, D::Error> {
        let s = Scalar::deserialize(d)?;
        Ok(Ttl(s.text().unwrap_or_default()))
    }
}

impl Ttl {
    /// Zero or unset, which Vault reads as "no limit" (or "the mount's default").
    pub fn is_zero(&self) -> bool {
        matches!(self.0.as_str(), "" | "0" | "0s")
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Any JSON value, kept only when it is a scalar (a string, a number, a boolean).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scalar {
    Text(String),
    Other,
}

impl Scalar {
    pub fn text(self) -> Option<String> {
        match self {
            Scalar::Text(s) => Some(s),
            Scalar::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(s.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar::Text(n.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar::Text(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar, E> {
                Ok(Scalar::Text(n.to_string()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar::Text(b.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A file under `vault/kv/`: `vault kv list` output (the keys of a folder) or a read.
pub(crate) enum KvShape {
    List(Vec<String>),
    Read(KvRead),
}

/// What a KV read keeps: its field names and KV v2's version metadata. The values are
/// skipped while parsing.
pub(crate) struct KvRead {
    pub fields: Vec<String>,
    /// Present when the read had KV v2's envelope (`data.data` and `data.metadata`).
    pub metadata: Option<KvMeta>,
}

#[derive(Default)]
pub(crate) struct KvMeta {
    pub created: Option<jiff::Timestamp>,
    pub version: Option<u64>,
    pub destroyed: bool,
    pub deleted: bool,
}

impl KvShape {
    pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<KvShape, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KvShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`vault kv get` or `vault kv list` JSON output")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KvShape, A::Error> {
                let mut keys = Vec::new();
                while let Some(item) = seq.next_element::<Scalar>()? {
                    keys.extend(item.text());
                }
                Ok(KvShape::List(keys))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KvShape, A::Error> {
                let mut read = None;
                while let Some(key) = map.next_key::<Key>()? {
                    if key.0 == "data" {
                        read = Some(map.next_value::<Body>()?.0);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                read.map(KvShape::Read)
                    .ok_or_else(|| de::Error::custom("a KV read with no \"data\""))
            }
            scalars!(
                KvShape,
                Err(de::Error::custom(
                    "neither `vault kv get` (an object) nor `vault kv list` (an array) output"
                ))
            );
        }
        d.deserialize_any(V)
    }
}

/// A map key, owned (keys are names, never values).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        String::deserialize(d).map(Key)
    }
}

/// A read's `data`: KV v2's envelope, or KV v1's fields.
struct Body(KvRead);

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Body, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Body;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a KV read's data")
            }
            scalars!(
                Body,
                Ok(Body(KvRead {
                    fields: Vec::new(),
                    metadata: None,
                }))
            );
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Body(KvRead {
                    fields: Vec::new(),
                    metadata: None,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
                let mut top = Vec::new();
                let (mut inner, mut meta) = (None, None);
                while let Some(key) = map.next_key::<Key>()? {
                    match key.0.as_str() {
                        "data" => inner = map.next_value::<Names>()?.0,
                        "metadata" => meta = map.next_value::<Meta>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    top.push(key.0);
                }
                // v2 has exactly the envelope's two keys, `metadata` with a version (`data`
                // is null once the current version is deleted or destroyed); anything
                // else is a v1 secret's own fields.
                let read = match (inner, meta) {
                    (fields, Some(meta)) if top.len() == 2 => KvRead {
                        fields: fields.unwrap_or_default(),
                        metadata: Some(meta),
                    },
                    _ => KvRead {
                        fields: top,
                        metadata: None,
                    },
                };
                Ok(Body(read))
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of a map, its values skipped; `None` for anything that is not a map.
struct Names(Option<Vec<String>>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Names, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Names, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<Key>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key.0);
                }
                Ok(Names(Some(keys)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Names, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Names(None))
            }
            scalars!(Names, Ok(Names(None)));
        }
        d.deserialize_any(V)
    }
}

/// KV v2's `metadata` (`created_time`, `version`, `destroyed`, `deletion_time`); `None`
/// for anything without a version (then it was a v1 secret's field of that name). A
/// string is kept only as a timestamp, never as text.
struct Meta(Option<KvMeta>);

impl<'de> Deserialize<'de> for Meta {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Meta, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Meta;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Meta, A::Error> {
                let mut meta = KvMeta::default();
                let mut versioned = false;
                while let Some(key) = map.next_key::<Key>()? {
                    let value = map.next_value::<Scalar>()?.text();
                    let time = || value.as_deref().and_then(|v| v.parse().ok());
                    match key.0.as_str() {
                        "created_time" => meta.created = time(),
                        "deletion_time" => meta.deleted = time().is_some(),
                        "destroyed" => meta.destroyed = value.as_deref() == Some("true"),
                        "version" => {
                            meta.version = value.and_then(|v| v.parse().ok());
                            versioned = meta.version.is_some();
                        }
                        _ => {}
                    }
                }
                Ok(Meta(versioned.then_some(meta)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Meta, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Meta(None))
            }
            scalars!(Meta, Ok(Meta(None)));
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(json: &str) -> KvShape {
        KvShape::read(&mut serde_json::Deserializer::from_str(json)).expect("parses")
    }

    #[test]
    fn kv_reads_keep_names_and_drop_values() {
        let KvShape::Read(v2) = kv(
            r#"{"request_id":"r","data":{"data":{"password":"hunter2","user":"app"},
               "metadata":{"created_time":"2025-01-02T03:04:05.5Z","deletion_time":"","destroyed":false,"version":3}}}"#,
        ) else {
            panic!("a read")
        };
        assert_eq!(v2.fields, ["password", "user"]);
        let meta = v2.metadata.expect("v2");
        assert_eq!(meta.version, Some(3));
        assert!(meta.created.is_some() && !meta.deleted);
        // A v1 secret whose fields happen to be called data and metadata.
        let KvShape::Read(v1) = kv(r#"{"data":{"data":"x","metadata":"y","token":"z"}}"#) else {
            panic!("a read")
        };
        assert_eq!(v1.fields, ["data", "metadata", "token"]);
        assert!(v1.metadata.is_none());
        // Deleted: v2 with no data.
        let KvShape::Read(gone) = kv(
            r#"{"data":{"data":null,"metadata":{"created_time":"2025-01-02T03:04:05Z","deletion_time":"2025-02-01T00:00:00Z","destroyed":false,"version":4}}}"#,
        ) else {
            panic!("a read")
        };
        assert!(gone.fields.is_empty() && gone.metadata.expect("v2").deleted);
        // A number where an object belongs: an error that does not quote it.
        let err = KvShape::read(&mut serde_json::Deserializer::from_str(
            r#"{"data": 987654}"#,
        ));
        assert!(err.is_ok());
        let err = KvShape::read(&mut serde_json::Deserializer::from_str("987654"))
            .err()
            .expect("an error");
        assert!(!err.to_string().contains("987654"));
        let KvShape::List(keys) = kv(r#"["db", "team/"]"#) else {
            panic!("a list")
        };
        assert_eq!(keys, ["db", "team/"]);
    }

    #[test]
    fn lists_are_arrays_or_comma_strings() {
        let s: Strings = serde_json::from_str(r#""a, b,,c""#).expect("parses");
        assert_eq!(s.0, ["a", "b", "c"]);
        let s: Strings = serde_json::from_str(r#"["a", 1, null]"#).expect("parses");
        assert_eq!(s.0, ["a", "1"]);
        let s: Strings = serde_json::from_str("null").expect("parses");
        assert!(s.is_empty());
    }
}

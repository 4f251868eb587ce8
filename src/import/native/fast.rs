//! Plain elements read by hand: the shapes nearly every node and edge is written in,
//! parsed without serde's machinery, anything else left to serde.
//!
//! Parsing is most of a native load, and serde_json spends much of it in its generic
//! protocol (a visitor per field, each field held as an `Option` and the element moved
//! whole several times) rather than in the bytes. This reads an element's object where it
//! lies and builds the same DTO serde would. It takes only what it is sure of: the fields
//! of the strict DTOs, each at most once; strings, borrowed unless they hold escapes;
//! plain unsigned integers; `true` and `false`; enum names and times spelt without
//! escapes (read by the model's own `Deserialize`); and JSON's four white-space bytes.
//! Anything else — a `null`, a number with a sign, fraction or exponent, a lone surrogate,
//! a duplicate or unknown field, bad punctuation, an element cut short — answers `None`,
//! and serde reads the element from its start, with its own messages and places. So
//! `Some` means serde would have read the same element from the same bytes, which the
//! tests check against serde on generated, mutated and damaged elements. (A field added
//! to the DTOs does not compile here until it is read here too: the DTOs are built whole.)

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};

use super::dto::ConditionDto;
use super::dto::strict::{
    ConditionFields, CredentialDto, EdgeDto, NodeDto, ProvenanceDto, RevokeDto,
};
use super::window::is_space;

/// An element read by hand from the start of `text`, and the bytes it took (up to its
/// closing brace, as serde's stream reports them); `None` when serde must read it.
pub(super) trait Plain<'a>: Sized {
    fn read(text: &'a str) -> Option<(Self, usize)>;
}

impl<'a> Plain<'a> for EdgeDto<'a> {
    fn read(text: &'a str) -> Option<(Self, usize)> {
        let mut s = Scan::new(text);
        let (mut from, mut to, mut kind, mut reason, mut conditions) =
            (None, None, None, None, None);
        let (mut dormant, mut potential, mut asserted) = (None, None, None);
        let (mut technique, mut level, mut revoke, mut provenance) = (None, None, None, None);
        s.object(|s, key| match key {
            "from" => once(&mut from, s.string()?),
            "to" => once(&mut to, s.string()?),
            "kind" => once(&mut kind, s.spelt()?),
            "reason" => once(&mut reason, s.string()?),
            "conditions" => once(&mut conditions, s.conditions()?),
            "dormant" => once(&mut dormant, s.boolean()?),
            "potential" => once(&mut potential, s.boolean()?),
            "asserted" => once(&mut asserted, s.boolean()?),
            "technique" => once(&mut technique, s.string()?),
            "level" => once(&mut level, s.spelt()?),
            "revoke" => once(&mut revoke, s.revoke()?),
            "provenance" => once(&mut provenance, s.provenance()?),
            _ => None,
        })?;
        let edge = EdgeDto {
            from: from?,
            to: to?,
            kind: kind?,
            reason: reason.unwrap_or_default(),
            conditions: conditions.unwrap_or_default(),
            dormant: dormant.unwrap_or_default(),
            potential: potential.unwrap_or_default(),
            asserted: asserted.unwrap_or_default(),
            technique,
            level,
            revoke: revoke.unwrap_or_default(),
            provenance,
        };
        Some((edge, s.at))
    }
}

impl<'a> Plain<'a> for NodeDto<'a> {
    fn read(text: &'a str) -> Option<(Self, usize)> {
        let mut s = Scan::new(text);
        let (mut id, mut kind, mut platform, mut name) = (None, None, None, None);
        let (mut scope, mut owner, mut purpose, mut environment) = (None, None, None, None);
        let (mut criticality, mut admin, mut tags, mut credential) = (None, None, None, None);
        let (mut revoke, mut provenance) = (None, None);
        s.object(|s, key| match key {
            "id" => once(&mut id, s.string()?),
            "kind" => once(&mut kind, s.spelt()?),
            "platform" => once(&mut platform, s.string()?),
            "name" => once(&mut name, s.string()?),
            "scope" => once(&mut scope, s.string()?),
            "owner" => once(&mut owner, s.string()?),
            "purpose" => once(&mut purpose, s.string()?),
            "environment" => once(&mut environment, s.string()?),
            "criticality" => once(&mut criticality, u8::try_from(s.unsigned()?).ok()?),
            "admin" => once(&mut admin, s.boolean()?),
            "tags" => once(&mut tags, s.tags()?),
            "credential" => once(&mut credential, s.credential()?),
            "revoke" => once(&mut revoke, s.revoke()?),
            "provenance" => once(&mut provenance, s.provenance()?),
            _ => None,
        })?;
        let node = NodeDto {
            id: id?,
            kind: kind?,
            platform,
            name,
            scope,
            owner,
            purpose,
            environment,
            criticality,
            admin: admin.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            credential,
            revoke: revoke.unwrap_or_default(),
            provenance,
        };
        Some((node, s.at))
    }
}

/// Fills a field's slot, refusing a field named twice (serde's to refuse, as a duplicate).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// A place in an element's text.
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Self {
        Scan { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not JSON white space, not taken.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        // Compact JSON, as trustpath writes it, has no space to skip. (The loop below is
        // `window::skip_space` written out: calling it here took 0.8 % more instructions
        // of a whole 100k load, callgrind.)
        let next = *bytes.get(self.at)?;
        if !is_space(next) {
            return Some(next);
        }
        self.at += 1;
        while let Some(&b) = bytes.get(self.at) {
            if !is_space(b) {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// `{`, then each `"key": value` handed to `field` (which reads the value), then `}`.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            field(self, &key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[`, then each value read by `item`, then `]`.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string: borrowed when it holds no escape, unescaped otherwise.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.at;
        let end = start + plain_len(&self.bytes()[start..]);
        match self.bytes().get(end)? {
            b'"' => {
                self.at = end + 1;
                // Both ends are ASCII bytes: char boundaries of the text.
                self.text.get(start..end).map(Cow::Borrowed)
            }
            b'\\' => {
                self.at = end;
                let mut owned = self.text.get(start..end)?.to_owned();
                self.unescape(&mut owned)?;
                Some(Cow::Owned(owned))
            }
            _ => None,
        }
    }

    /// The rest of a string from its first backslash, unescaped onto `out`, as JSON
    /// spells escapes; a lone surrogate or any other escape is serde's to refuse.
    fn unescape(&mut self, out: &mut String) -> Option<()> {
        loop {
            let bytes = self.bytes();
            match *bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    let escaped = *bytes.get(self.at + 1)?;
                    self.at += 2;
                    let c = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    };
                    out.push(c);
                }
                _ => {
                    let len = plain_len(&bytes[self.at..]);
                    if len == 0 {
                        return None;
                    }
                    out.push_str(self.text.get(self.at..self.at + len)?);
                    self.at += len;
                }
            }
        }
    }

    /// The character of a `\u` escape (its four hex digits next), a surrogate pair
    /// taking a second escape.
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if !(0xD800..0xDC00).contains(&first) {
            return char::from_u32(first);
        }
        if self.bytes().get(self.at..self.at + 2)? != b"\\u" {
            return None;
        }
        self.at += 2;
        let second = self.hex4()?;
        if !(0xDC00..0xE000).contains(&second) {
            return None;
        }
        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    fn boolean(&mut self) -> Option<bool> {
        let first = self.peek()?;
        let rest = &self.bytes()[self.at..];
        let (value, len) = match first {
            b't' if rest.starts_with(b"true") => (true, 4),
            b'f' if rest.starts_with(b"false") => (false, 5),
            _ => return None,
        };
        self.at += len;
        Some(value)
    }

    /// A plain unsigned integer that fits 32 bits: no sign, fraction, exponent or leading
    /// zero (serde refuses a leading zero, and reads the others as other types).
    fn unsigned(&mut self) -> Option<u32> {
        self.peek()?;
        let bytes = self.bytes();
        let digits = bytes[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let number = &bytes[self.at..self.at + digits];
        if digits == 0 || digits > 10 || (digits > 1 && number[0] == b'0') {
            return None;
        }
        if matches!(bytes.get(self.at + digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let value = number
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        self.at += digits;
        u32::try_from(value).ok()
    }

    /// A string as a type's own `Deserialize` reads it: an enum's variant, a timestamp.
    fn spelt<T: Deserialize<'a>>(&mut self) -> Option<T> {
        // (Escapes in a name or a time are serde's to read.)
        let Cow::Borrowed(name) = self.string()? else {
            return None;
        };
        T::deserialize(BorrowedStrDeserializer::<ValueError>::new(name)).ok()
    }

    fn revoke(&mut self) -> Option<Vec<RevokeDto<'a>>> {
        let mut list = Vec::new();
        self.array(|s| {
            let (mut id, mut action, mut cost, mut commands) = (None, None, None, None);
            s.object(|s, key| match key {
                "id" => once(&mut id, s.string()?),
                "action" => once(&mut action, s.string()?),
                "cost" => once(&mut cost, s.unsigned()?),
                "commands" => once(&mut commands, s.strings()?),
                _ => None,
            })?;
            list.push(RevokeDto {
                id: id?,
                action: action?,
                cost: cost.unwrap_or(1),
                commands: commands.unwrap_or_default(),
            });
            Some(())
        })?;
        Some(list)
    }

    fn strings(&mut self) -> Option<Vec<Cow<'a, str>>> {
        let mut list = Vec::new();
        self.array(|s| {
            list.push(s.string()?);
            Some(())
        })?;
        Some(list)
    }

    fn provenance(&mut self) -> Option<ProvenanceDto<'a>> {
        let (mut file, mut at) = (None, None);
        self.object(|s, key| match key {
            "file" => once(&mut file, s.string()?),
            "at" => once(&mut at, s.string()?),
            _ => None,
        })?;
        Some(ProvenanceDto {
            file: file?,
            at: at.unwrap_or_default(),
        })
    }

    /// Conditions, as text or as objects.
    fn conditions(&mut self) -> Option<Vec<ConditionDto<ConditionFields>>> {
        let mut list = Vec::new();
        self.array(|s| {
            let condition = match s.peek()? {
                b'"' => ConditionDto::Text(s.string()?.into_owned()),
                _ => ConditionDto::Full(s.condition()?),
            };
            list.push(condition);
            Some(())
        })?;
        Some(list)
    }

    fn condition(&mut self) -> Option<ConditionFields> {
        let (mut description, mut key, mut operator, mut values) = (None, None, None, None);
        self.object(|s, field| match field {
            "description" => once(&mut description, s.string()?),
            "key" => once(&mut key, s.string()?),
            "operator" => once(&mut operator, s.string()?),
            "values" => once(&mut values, s.strings()?),
            _ => None,
        })?;
        Some(ConditionFields {
            description: description?.into_owned(),
            key: key.map(Cow::into_owned),
            operator: operator.map(Cow::into_owned),
            values: values
                .unwrap_or_default()
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
        })
    }

    /// Tags: strings by strings, a repeated one the last (as serde's map reads them).
    fn tags(&mut self) -> Option<BTreeMap<String, String>> {
        let mut tags = BTreeMap::new();
        self.object(|s, key| {
            tags.insert(key.to_owned(), s.string()?.into_owned());
            Some(())
        })?;
        Some(tags)
    }

    fn credential(&mut self) -> Option<CredentialDto> {
        let (mut kind, mut status, mut long_lived, mut copyable) = (None, None, None, None);
        let (mut created, mut expires, mut last_used, mut last_rotated) = (None, None, None, None);
        self.object(|s, key| match key {
            "type" => once(&mut kind, s.string()?),
            "status" => once(&mut status, s.string()?),
            "created" => once(&mut created, s.spelt()?),
            "expires" => once(&mut expires, s.spelt()?),
            "last_used" => once(&mut last_used, s.spelt()?),
            "last_rotated" => once(&mut last_rotated, s.spelt()?),
            "long_lived" => once(&mut long_lived, s.boolean()?),
            "copyable" => once(&mut copyable, s.boolean()?),
            _ => None,
        })?;
        Some(CredentialDto {
            kind: kind.map(Cow::into_owned),
            status: status.map(Cow::into_owned),
            created,
            expires,
            last_used,
            last_rotated,
            long_lived,
            copyable,
        })
    }
}

/// How many bytes start `bytes` before the first quote, backslash or control character,
/// eight at a time (a string's bytes are most of an element's).
fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut done = 0;
    while let Some(&chunk) = bytes.get(done..).and_then(|rest| rest.first_chunk::<8>()) {
        let word = u64::from_le_bytes(chunk);
        let quote = word ^ (ONES * u64::from(b'"'));
        let slash = word ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (for the XORs) or below 0x20; only the lowest
        // flag is exact, and only the lowest is used.
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGHS;
        if found != 0 {
            return done + (found.trailing_zeros() / 8) as usize;
        }
        done += 8;
    }
    done + bytes[done..]
        .iter()
        .take_while(|&&b| b != b'"' && b != b'\\' && b >= 0x20)
        .count()
}

#[cfg(test)]
mod tests;

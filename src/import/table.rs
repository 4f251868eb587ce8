//! The CSV plumbing shared by the inventory and links importers: a byte-order mark and
//! `#` comment lines are allowed, cells are trimmed, columns are found by header name in
//! any order, and every error names the file and line.

use csv::StringRecord;

use super::ImportError;

pub(super) struct Table<'a> {
    file: &'a str,
    reader: csv::Reader<&'a [u8]>,
    headers: StringRecord,
}

impl<'a> Table<'a> {
    pub(super) fn open(bytes: &'a [u8], file: &'a str) -> Result<Table<'a>, ImportError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| error(file, 1, e.to_string()))?
            .clone();
        Ok(Table {
            file,
            reader,
            headers,
        })
    }

    /// Index of a column, by case-insensitive header name.
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Index of a column the format requires.
    pub(super) fn required(&self, name: &str) -> Result<usize, ImportError> {
        self.column(name)
            .ok_or_else(|| self.error(1, format!("no '{name}' column")))
    }

    /// An error at a line of this file.
    pub(super) fn error(&self, line: u64, message: String) -> ImportError {
        error(self.file, line, message)
    }

    /// Makes errors for this file while [`Table::rows`] borrows the table.
    pub(super) fn errors(&self) -> Errors<'a> {
        Errors { file: self.file }
    }

    /// The data rows with their line numbers.
    pub(super) fn rows(
        &mut self,
    ) -> impl Iterator<Item = Result<(u64, StringRecord), ImportError>> + '_ {
        let file = self.file;
        self.reader.records().map(move |record| {
            let record = record
                .map_err(|e| error(file, e.position().map_or(0, |p| p.line()), e.to_string()))?;
            Ok((record.position().map_or(0, |p| p.line()), record))
        })
    }
}

/// See [`Table::errors`].
#[derive(Clone, Copy)]
pub(super) struct Errors<'a> {
    file: &'a str,
}

impl Errors<'_> {
    pub(super) fn at(self, line: u64, message: String) -> ImportError {
        error(self.file, line, message)
    }
}

fn error(file: &str, line: u64, message: String) -> ImportError {
    ImportError::Csv {
        file: file.to_string(),
        line,
        message,
    }
}

//! A small RFC 4180 CSV writer: fields separated by commas, records ended by CRLF, a field
//! quoted when it holds a comma, a double quote, CR or LF, and a double quote inside a quoted
//! field written twice. UTF-8, no byte-order mark.

/// Builds a CSV document record by record.
#[derive(Debug, Default)]
pub(crate) struct CsvWriter {
    out: String,
    rows: usize,
}

impl CsvWriter {
    /// Appends one record.
    pub(crate) fn record<S: AsRef<str>>(&mut self, fields: &[S]) {
        for (index, field) in fields.iter().enumerate() {
            if index > 0 {
                self.out.push(',');
            }
            push_field(&mut self.out, field.as_ref());
        }
        self.out.push_str("\r\n");
        self.rows += 1;
    }

    /// Number of records written (the header included).
    pub(crate) fn records(&self) -> usize {
        self.rows
    }

    /// The document.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &[&str]) -> String {
        let mut writer = CsvWriter::default();
        writer.record(fields);
        writer.finish()
    }

    #[test]
    fn plain_fields_are_not_quoted() {
        assert_eq!(line(&["a", "고문", "", "x y"]), "a,고문,,x y\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(line(&["a,b"]), "\"a,b\"\r\n");
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(line(&["one\ntwo"]), "\"one\ntwo\"\r\n");
        assert_eq!(line(&["one\r\ntwo"]), "\"one\r\ntwo\"\r\n");
        assert_eq!(line(&["\"", ","]), "\"\"\"\",\",\"\r\n");
    }

    /// A minimal RFC 4180 reader, to check that what is written reads back as written.
    fn parse(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut record = Vec::new();
        let mut field = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => record.push(std::mem::take(&mut field)),
                (false, '\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                (false, c) => field.push(c),
            }
        }
        records
    }

    #[test]
    fn what_is_written_reads_back() {
        let rows = [vec!["title", "text"], vec!["김, \"철수\"", "첫 줄\n둘째 줄\r\n셋째, 줄"], vec!["", "\"\""]];
        let mut writer = CsvWriter::default();
        for row in &rows {
            writer.record(row);
        }
        assert_eq!(writer.records(), 3);
        let parsed = parse(&writer.finish());
        let expected: Vec<Vec<String>> =
            rows.iter().map(|row| row.iter().map(|field| (*field).to_owned()).collect()).collect();
        assert_eq!(parsed, expected);
    }
}

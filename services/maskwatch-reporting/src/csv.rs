//! CSV answers, for spreadsheets and other tools.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV document built row by row.
pub struct CsvTable {
    text: String,
}

impl CsvTable {
    pub fn new(header: &[&str]) -> Self {
        let mut table = Self {
            text: String::new(),
        };
        table.row(header.iter().copied());
        table
    }

    /// A table of JSON objects' fields: strings as they are, numbers as
    /// JSON writes them, null as an empty cell.
    pub fn of_json_rows(columns: &[&str], rows: &[serde_json::Value]) -> Self {
        let mut table = Self::new(columns);
        for row in rows {
            let cells: Vec<String> = columns
                .iter()
                .map(|column| match &row[*column] {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect();
            table.row(cells.iter().map(String::as_str));
        }
        table
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        for (index, cell) in cells.into_iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            push_cell(&mut self.text, cell);
        }
        self.text.push_str("\r\n");
    }
}

/// Quotes cells that need it, and defuses cells a spreadsheet would run as
/// a formula (object keys and names come from users).
fn push_cell(text: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = formula || cell.contains([',', '"', '\n', '\r']);
    if quoted {
        text.push('"');
    }
    if formula {
        text.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            text.push('"');
        }
        text.push(c);
    }
    if quoted {
        text.push('"');
    }
}

impl IntoResponse for CsvTable {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            self.text,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        let mut table = CsvTable::new(&["key", "n"]);
        table.row(["a,b", "1"]);
        table.row(["say \"hi\"", "2"]);
        table.row(["=HYPERLINK(\"x\")", "3"]);
        assert_eq!(
            table.text,
            "key,n\r\n\"a,b\",1\r\n\"say \"\"hi\"\"\",2\r\n\"'=HYPERLINK(\"\"x\"\")\",3\r\n"
        );
    }
}

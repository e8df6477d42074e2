//! How deep a YAML text's flow collections (`[…]`, `{…}`) nest, found before the YAML reader
//! sees the text. libyaml's scanner, under serde_yaml_ng, checks the possible simple key of
//! every open flow level at each token, so its time grows with the square of the nesting
//! (200,000 `[` take most of a minute), and serde_yaml_ng counts depth only once it has read
//! the whole document. This scanner follows the scanner's own rules for where a token starts
//! (indentation, block scalars, quoted and plain scalars, comments, tags and anchors), in one
//! pass, and stops at the first collection past the limit: a `[` inside a string, a comment or
//! a block scalar opens nothing, as in libyaml. Where the text is not valid YAML it goes on
//! as best it can; libyaml stops there, so it never counts less than libyaml would see.

/// Where (1-based line and column) a flow collection opens more than `limit` levels deep,
/// if one does.
pub(super) fn too_deep(text: &str, limit: usize) -> Option<(usize, usize)> {
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
        line: 0,
        col: 0,
        flow: 0,
        indent: -1,
        indents: Vec::new(),
        key: None,
        allowed: true,
    };
    s.run(limit)
}

/// libyaml's scanner state, as far as where tokens start depends on it.
struct Scanner<'a> {
    b: &'a [u8],
    /// The byte read next.
    i: usize,
    /// Its 0-based line and column (in characters).
    line: usize,
    col: usize,
    /// Open flow collections.
    flow: usize,
    /// The block indentation (-1 at the top) and the enclosing ones.
    indent: i64,
    indents: Vec<i64>,
    /// Where the block context's possible simple key starts: line, byte, column.
    key: Option<(usize, usize, usize)>,
    /// Whether a simple key may start here.
    allowed: bool,
}

impl Scanner<'_> {
    fn run(&mut self, limit: usize) -> Option<(usize, usize)> {
        loop {
            self.skip_to_token();
            if self.i >= self.b.len() {
                return None;
            }
            // A simple key is possible on its own line, within 1,024 bytes.
            if self
                .key
                .is_some_and(|(line, at, _)| line < self.line || at + 1024 < self.i)
            {
                self.key = None;
            }
            self.unroll(self.col as i64);
            let c = self.peek(0);
            if self.col == 0 && c == b'%' {
                // A directive: the rest of its line.
                self.document_marker();
                self.skip_line();
                continue;
            }
            if self.col == 0 && self.marker() {
                self.document_marker();
                (0..3).for_each(|_| self.advance());
                continue;
            }
            match c {
                b'[' | b'{' => {
                    self.save_key();
                    self.flow += 1;
                    if self.flow > limit {
                        return Some((self.line + 1, self.col + 1));
                    }
                    self.allowed = true;
                    self.advance();
                }
                b']' | b'}' => {
                    self.remove_key();
                    self.flow = self.flow.saturating_sub(1);
                    self.allowed = false;
                    self.advance();
                }
                b',' => {
                    self.remove_key();
                    self.allowed = true;
                    self.advance();
                }
                b'-' if self.blankz(1) => {
                    self.roll(self.col as i64);
                    self.remove_key();
                    self.allowed = true;
                    self.advance();
                }
                b'?' if self.flow > 0 || self.blankz(1) => {
                    self.roll(self.col as i64);
                    self.remove_key();
                    self.allowed = self.flow == 0;
                    self.advance();
                }
                b':' if self.flow > 0 || self.blankz(1) => {
                    // A value: its mapping starts at its key, else here.
                    if self.flow > 0 {
                        self.allowed = false;
                    } else if let Some((_, _, column)) = self.key.take() {
                        self.roll(column as i64);
                        self.allowed = false;
                    } else {
                        self.roll(self.col as i64);
                        self.allowed = true;
                    }
                    self.advance();
                }
                b'*' | b'&' => {
                    self.save_key();
                    self.allowed = false;
                    self.advance();
                    while self.peek(0).is_ascii_alphanumeric()
                        || matches!(self.peek(0), b'_' | b'-')
                    {
                        self.advance();
                    }
                }
                b'!' => {
                    self.save_key();
                    self.allowed = false;
                    // A tag ends at a blank, or in a flow collection at its indicators.
                    let flow = self.flow > 0;
                    let end = |s: &Self| {
                        s.blankz(0)
                            || (flow && matches!(s.peek(0), b',' | b'[' | b']' | b'{' | b'}'))
                    };
                    while !end(self) {
                        self.advance();
                    }
                }
                b'|' | b'>' if self.flow == 0 => {
                    self.remove_key();
                    self.allowed = true;
                    self.block_scalar();
                }
                b'\'' | b'"' => {
                    self.save_key();
                    self.allowed = false;
                    self.quoted(c);
                }
                b'|' | b'>' | b'%' | b'@' | b'`' | b'\t' => {
                    // What cannot start a token here: libyaml stops; this reads on.
                    self.advance();
                }
                _ => {
                    self.save_key();
                    self.allowed = self.plain();
                }
            }
        }
    }

    /// The byte `k` after the next, 0 past the end.
    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    /// The length of the line break at byte `k` after the next, if one is there (LF, CR,
    /// CR LF, and Unicode's NEL, LS and PS, as libyaml reads them).
    fn break_at(&self, k: usize) -> Option<usize> {
        match (self.peek(k), self.peek(k + 1), self.peek(k + 2)) {
            (b'\r', b'\n', _) => Some(2),
            (b'\n' | b'\r', _, _) => Some(1),
            (0xC2, 0x85, _) => Some(2),
            (0xE2, 0x80, 0xA8 | 0xA9) => Some(3),
            _ => None,
        }
    }

    /// Whether byte `k` after the next is a space, a tab, a line break or the end.
    fn blankz(&self, k: usize) -> bool {
        self.i + k >= self.b.len()
            || matches!(self.peek(k), b' ' | b'\t')
            || self.break_at(k).is_some()
    }

    /// Moves past one character, or one line break.
    fn advance(&mut self) {
        if self.i >= self.b.len() {
            return;
        }
        if let Some(n) = self.break_at(0) {
            self.i += n;
            self.line += 1;
            self.col = 0;
        } else {
            let lead = self.b[self.i];
            self.i += match lead {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            self.col += 1;
        }
    }

    /// Whether a document marker (`---` or `...` and a blank) is here.
    fn marker(&self) -> bool {
        let (a, b, c) = (self.peek(0), self.peek(1), self.peek(2));
        ((a, b, c) == (b'-', b'-', b'-') || (a, b, c) == (b'.', b'.', b'.')) && self.blankz(3)
    }

    /// What a directive or a document marker does: back to the top, no simple key.
    fn document_marker(&mut self) {
        self.unroll(-1);
        self.key = None;
        self.allowed = false;
    }

    /// Moves to the line break ending this line.
    fn skip_line(&mut self) {
        while self.i < self.b.len() && self.break_at(0).is_none() {
            self.advance();
        }
    }

    /// Spaces, comments and line breaks before the next token (tabs too, where libyaml skips
    /// them); a line break in the block context allows a simple key.
    fn skip_to_token(&mut self) {
        loop {
            while self.peek(0) == b' '
                || ((self.flow > 0 || !self.allowed) && self.peek(0) == b'\t')
            {
                self.advance();
            }
            if self.peek(0) == b'#' {
                self.skip_line();
            }
            if self.break_at(0).is_none() {
                return;
            }
            self.advance();
            if self.flow == 0 {
                self.allowed = true;
            }
        }
    }

    /// A token that may be a simple key starts here.
    fn save_key(&mut self) {
        if self.flow == 0 && self.allowed {
            self.key = Some((self.line, self.i, self.col));
        }
    }

    fn remove_key(&mut self) {
        if self.flow == 0 {
            self.key = None;
        }
    }

    /// A block collection starts at `column`.
    fn roll(&mut self, column: i64) {
        if self.flow == 0 && self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
        }
    }

    /// Block collections indented past `column` end.
    fn unroll(&mut self, column: i64) {
        if self.flow > 0 {
            return;
        }
        while self.indent > column {
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    /// A single- or double-quoted scalar, which may span lines.
    fn quoted(&mut self, quote: u8) {
        self.advance();
        while self.i < self.b.len() {
            let c = self.peek(0);
            if quote == b'\'' && c == b'\'' && self.peek(1) == b'\'' {
                self.advance();
                self.advance();
            } else if c == quote {
                self.advance();
                return;
            } else if quote == b'"' && c == b'\\' {
                self.advance();
                self.advance();
            } else {
                self.advance();
            }
        }
    }

    /// A plain scalar, which in the block context goes on over lines indented past the
    /// block's. Returns whether it ended after a line break (a simple key may start then).
    fn plain(&mut self) -> bool {
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        loop {
            if self.col == 0 && self.marker() {
                break;
            }
            if self.peek(0) == b'#' {
                break;
            }
            while !self.blankz(0) {
                let c = self.peek(0);
                // `:` and a flow indicator in a flow collection: libyaml stops there.
                let stuck = self.flow > 0
                    && c == b':'
                    && matches!(self.peek(1), b',' | b'?' | b'[' | b']' | b'{' | b'}');
                if (c == b':' && self.blankz(1))
                    || stuck
                    || (self.flow > 0 && matches!(c, b',' | b'[' | b']' | b'{' | b'}'))
                {
                    return leading_blanks;
                }
                leading_blanks = false;
                self.advance();
            }
            if self.i >= self.b.len() {
                break;
            }
            while matches!(self.peek(0), b' ' | b'\t') || self.break_at(0).is_some() {
                if self.break_at(0).is_some() {
                    leading_blanks = true;
                }
                self.advance();
            }
            if self.flow == 0 && (self.col as i64) < indent {
                break;
            }
        }
        leading_blanks
    }

    /// A literal or folded block scalar (`|`, `>`): its header, then the lines indented at
    /// least as much as its first (more than the block's, or as its indentation indicator
    /// says), and the empty lines among them.
    fn block_scalar(&mut self) {
        self.advance();
        let mut increment = 0;
        for _ in 0..2 {
            match self.peek(0) {
                b'+' | b'-' => self.advance(),
                d @ b'1'..=b'9' => {
                    increment = i64::from(d - b'0');
                    self.advance();
                }
                b'0' => self.advance(),
                _ => {}
            }
        }
        while matches!(self.peek(0), b' ' | b'\t') {
            self.advance();
        }
        if self.peek(0) == b'#' {
            self.skip_line();
        }
        if self.break_at(0).is_none() {
            // Not a block scalar's header: libyaml stops here.
            return;
        }
        self.advance();
        let mut indent = match increment {
            0 => 0,
            n if self.indent >= 0 => self.indent + n,
            n => n,
        };
        let widest = self.breaks(indent);
        if indent == 0 {
            indent = widest.max(self.indent + 1).max(1);
        }
        while self.col as i64 == indent && self.i < self.b.len() {
            self.skip_line();
            if self.i >= self.b.len() {
                return;
            }
            self.advance();
            self.breaks(indent);
        }
    }

    /// The empty lines of a block scalar, and the indentation of the next: the widest
    /// indentation met (its spaces are read up to `indent`, every one if it is 0).
    fn breaks(&mut self, indent: i64) -> i64 {
        let mut widest = 0;
        loop {
            while (indent == 0 || (self.col as i64) < indent) && self.peek(0) == b' ' {
                self.advance();
            }
            widest = widest.max(self.col as i64);
            if self.break_at(0).is_none() {
                return widest;
            }
            self.advance();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::too_deep;

    /// Flow collections nested `n` deep, opened and never closed.
    fn bomb(n: usize) -> String {
        "[".repeat(n)
    }

    #[test]
    fn flow_collections_count_where_libyaml_opens_them() {
        assert_eq!(too_deep(&format!("A: {}", bomb(3)), 2), Some((1, 6)));
        assert_eq!(too_deep(&format!("A: {}", bomb(2)), 2), None);
        // Closed ones do not add up.
        assert_eq!(too_deep(&"A: [[1], [2], {a: [3]}]\n".repeat(50), 3), None);
        assert_eq!(too_deep("A: [[[1]]]\n", 2), Some((1, 6)));
        // A `[` in a plain scalar, a string, a comment or a block scalar opens nothing.
        let inert = "A: a[[[\nB: 'x[[[' # [[[\nC: \"[[[\\\"[[[\"\nD: |\n  [[[\n  [[[ '\nE:\n  - >-\n    [[[\n";
        assert_eq!(too_deep(inert, 0), None, "{inert}");
        // A quote that does not start a token swallows nothing.
        let text = format!("A: it's\nB: {}\n", bomb(5));
        assert_eq!(too_deep(&text, 4), Some((2, 8)));
    }

    #[test]
    fn a_block_scalar_ends_where_libyaml_ends_it() {
        // The scalar of `- key: |` is indented past `key` (column 2): a line at column 2 is
        // the mapping's next key, and its flow collections count.
        let text = format!("A:\n- key: |\n    text '\n  k2: {}\n", bomb(5));
        assert_eq!(too_deep(&text, 4), Some((4, 11)));
        // Its content, however deep its brackets, counts for nothing.
        let text = format!("A:\n- key: |\n    {}\n  k2: 1\n", bomb(5));
        assert_eq!(too_deep(&text, 4), None);
        // Empty lines (one of spaces) inside it, and a line less indented than its first,
        // which ends it.
        let text = format!("A: |\n    x\n\n    {} '\n  \nB: {}\n", bomb(5), bomb(5));
        assert_eq!(too_deep(&text, 4), Some((6, 8)));
        // An indentation indicator: the content is that far past the block.
        let text = format!("A: |2\n    {}\nB: 1\n", bomb(5));
        assert_eq!(too_deep(&text, 4), None);
        // Told by the indicator, not found from the first line: a line indented 2 after one
        // indented 4 is still content (found, the scalar would end there).
        let text = format!("A: |2\n    x\n  {}\nB: 1\n", bomb(5));
        assert_eq!(too_deep(&text, 4), None);
    }

    #[test]
    fn a_plain_scalar_goes_on_over_lines_indented_past_its_block() {
        let text = format!("A: a\n  {}\nB: {}\n", bomb(5), bomb(5));
        assert_eq!(too_deep(&text, 4), Some((3, 8)));
        // Inside a flow collection, a quote after a plain scalar's start is part of it, and
        // so is a `:` followed by neither a blank nor a flow indicator.
        let text = format!("A: [a'b, {}]\n", bomb(5));
        assert_eq!(too_deep(&text, 5), Some((1, 14)));
        let text = format!("A: [a:'b, http://x, {}]\n", bomb(5));
        assert_eq!(too_deep(&text, 5), Some((1, 25)));
    }

    #[test]
    fn every_line_break_libyaml_knows_ends_a_line() {
        // U+2028 ends the line libyaml reads, so the next line's collections count.
        let text = format!("A: a\u{2028}B: {}\n", bomb(5));
        assert_eq!(too_deep(&text, 4), Some((2, 8)));
    }
}

//! Takes the text an analyst typed or piped in and gives its parts: SQL statements, each
//! ended by a semicolon outside quotes and comments, with the line and column it starts at,
//! and dot commands, a line of their own that starts with `.` between statements.

/// A part of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A statement, without its semicolon.
    Sql(Statement),
    /// A dot command line, trimmed, with its line number.
    Dot { line: usize, text: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    /// 1-based line and column (in characters) of its first character.
    pub line: usize,
    pub column: usize,
}

impl Statement {
    /// The statement padded with the lines and columns before it, so that the positions
    /// DataFusion reports are those of the whole input.
    pub fn placed(&self) -> String {
        let mut text = "\n".repeat(self.line - 1);
        text.push_str(&" ".repeat(self.column - 1));
        text.push_str(&self.text);
        text
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    Quote(char),
    LineComment,
    BlockComment,
}

/// How an input ends inside a statement, with where that began (1-based line, column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unended {
    /// Text after the last semicolon that is more than space and comments.
    Statement { line: usize, column: usize },
    /// A quote never closed: every `;` after it is inside it.
    Quote {
        quote: char,
        line: usize,
        column: usize,
    },
    /// A `/*` comment never closed, after text of a statement.
    Comment { line: usize, column: usize },
}

impl std::fmt::Display for Unended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Unended::Statement { line, column } => write!(
                f,
                "{line}:{column}: the statement that starts here has no `;` at its end: it was not run"
            ),
            Unended::Quote {
                quote,
                line,
                column,
            } => write!(
                f,
                "{line}:{column}: the quote {quote} opened here is never closed: the rest of the input is inside it, so the statement was not run"
            ),
            Unended::Comment { line, column } => write!(
                f,
                "{line}:{column}: the comment /* opened here is never closed: the rest of the input is inside it, so the statement was not run"
            ),
        }
    }
}

/// The input's parts, and how it ends inside a statement, if it does.
pub fn split(input: &str) -> (Vec<Part>, Option<Unended>) {
    let mut parts = Vec::new();
    let mut state = State::Code;
    // Where the quote or comment the text is in was opened: line, column.
    let mut opened = (0, 0);
    // Where the pending statement started: byte offset, line, column.
    let mut start: Option<(usize, usize, usize)> = None;
    // Whether the pending statement has anything but comments.
    let mut has_code = false;
    let (mut line, mut column) = (1usize, 1usize);
    let mut at_line_start = true;
    let mut chars = input.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if at_line_start && state == State::Code && !has_code {
            let rest = &input[i..];
            let trimmed = rest.trim_start_matches([' ', '\t']);
            if trimmed.starts_with('.') {
                let end = rest.find('\n').map_or(input.len(), |n| i + n);
                parts.push(Part::Dot {
                    line,
                    text: input[i..end].trim().to_string(),
                });
                start = None;
                while chars.peek().is_some_and(|(j, _)| *j < end) {
                    chars.next();
                }
                // The newline, if any, comes next and starts a new line.
                continue;
            }
        }
        at_line_start = false;
        let next = chars.peek().map(|(_, n)| *n);
        match state {
            State::Code => match c {
                '\'' | '"' => {
                    state = State::Quote(c);
                    opened = (line, column);
                    has_code = true;
                }
                '-' if next == Some('-') => state = State::LineComment,
                '/' if next == Some('*') => {
                    state = State::BlockComment;
                    opened = (line, column);
                }
                ';' => {
                    if let Some((from, l, col)) = start.take()
                        && has_code
                    {
                        parts.push(Part::Sql(Statement {
                            text: input[from..i].trim_end().to_string(),
                            line: l,
                            column: col,
                        }));
                    }
                    has_code = false;
                }
                c if c.is_whitespace() => {}
                _ => has_code = true,
            },
            // A doubled quote is one quote inside the literal, as SQL writes it.
            State::Quote(q) if c == q && next == Some(q) => {
                chars.next();
                column += 1;
            }
            State::Quote(q) if c == q => state = State::Code,
            State::Quote(_) => {}
            State::LineComment if c == '\n' => state = State::Code,
            State::LineComment => {}
            State::BlockComment if c == '*' && next == Some('/') => {
                chars.next();
                column += 1;
                state = State::Code;
            }
            State::BlockComment => {}
        }
        if start.is_none() && !c.is_whitespace() && c != ';' {
            start = Some((i, line, column));
        }
        if c == '\n' {
            line += 1;
            column = 1;
            at_line_start = true;
        } else {
            column += 1;
        }
    }
    let (line, column) = opened;
    let unended = match (state, start) {
        (State::Quote(quote), _) => Some(Unended::Quote {
            quote,
            line,
            column,
        }),
        (State::BlockComment, _) if has_code => Some(Unended::Comment { line, column }),
        (_, Some((_, line, column))) if has_code => Some(Unended::Statement { line, column }),
        _ => None,
    };
    (parts, unended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str, line: usize, column: usize) -> Part {
        Part::Sql(Statement {
            text: text.into(),
            line,
            column,
        })
    }

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        let input = "SELECT ';' AS a; SELECT 2 -- no; end\n  FROM t /* ; */;\n";
        let (parts, open) = split(input);
        assert_eq!(
            parts,
            [
                sql("SELECT ';' AS a", 1, 1),
                sql("SELECT 2 -- no; end\n  FROM t /* ; */", 1, 18),
            ]
        );
        assert_eq!(open, None);
    }

    #[test]
    fn an_unended_statement_says_where_it_opened_and_comments_alone_do_not() {
        assert_eq!(
            split("SELECT 1;\n  SELECT 2").1,
            Some(Unended::Statement { line: 2, column: 3 })
        );
        assert_eq!(
            split("SELECT 1;\nSELECT '가나', 'abc;\n").1,
            Some(Unended::Quote {
                quote: '\'',
                line: 2,
                column: 14
            })
        );
        assert_eq!(
            split("SELECT \"x;").1,
            Some(Unended::Quote {
                quote: '"',
                line: 1,
                column: 8
            })
        );
        assert_eq!(
            split("SELECT 1 /* ;\n").1,
            Some(Unended::Comment {
                line: 1,
                column: 10
            })
        );
        assert_eq!(split("SELECT 1; /* unfinished").1, None);
        assert_eq!(split("-- nothing yet\n").1, None);
        assert_eq!(split("  ").1, None);
    }

    #[test]
    fn dot_commands_take_a_line_between_statements() {
        let input = ".mode csv\nSELECT 1;\n  .tables\nSELECT\n.5 AS x;";
        let (parts, _) = split(input);
        assert_eq!(
            parts,
            [
                Part::Dot {
                    line: 1,
                    text: ".mode csv".into()
                },
                sql("SELECT 1", 2, 1),
                Part::Dot {
                    line: 3,
                    text: ".tables".into()
                },
                sql("SELECT\n.5 AS x", 4, 1),
            ]
        );
    }

    #[test]
    fn a_placed_statement_keeps_its_position_in_hangul_text() {
        let (parts, _) = split("SELECT '가나';\n  SELECT x;");
        let Part::Sql(second) = &parts[1] else {
            panic!("a statement")
        };
        assert_eq!((second.line, second.column), (2, 3));
        assert_eq!(second.placed(), "\n  SELECT x");
    }
}

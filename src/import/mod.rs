//! `archsim import`: a CloudFormation or SAM template (YAML or JSON) or a Terraform plan
//! (`terraform show -json`) turned into a scenario that runs.
//!
//! The format is told from the content. `cfn` and `terraform` read their format into a list of
//! resources (`Declared`: a name, a type, properties with references in CloudFormation's long
//! form); `write` asks the kinds' registry which kind maps each type (`Kind::IMPORTS`), merges
//! the parts of a component (an API's stage, a function's event source mapping), resolves the
//! edges the wiring implies, and writes the scenario with what the template cannot say (traffic,
//! per-request work) as commented starting values.
//!
//! Templates are untrusted: the caller reads the one file named, bounded by
//! `limits::MAX_TEMPLATE_BYTES`, and nothing a template says makes this module read another
//! (it has no file access at all). Names become ids only after `write::sanitise`; every string
//! from the template is written by `toml`'s serializer, and comments are made one printable
//! line.

mod cfn;
mod iam;
mod nesting;
mod network;
mod terraform;
mod write;

use crate::components::iac::{Declared, Dialect};

/// What an import made.
#[derive(Debug)]
pub struct Imported {
    /// The scenario, as TOML text.
    pub scenario: String,
    /// The format the file was read as.
    pub format: Format,
    /// Starting values the template cannot say, one line each ("fn.work = …: set from …").
    pub asks: Vec<String>,
    /// Resources of types no kind maps, "Name (Type)".
    pub unmapped: Vec<String>,
    /// What could not be carried over, in words.
    pub notes: Vec<String>,
    /// How many components the scenario has.
    pub components: usize,
    /// What CloudFormation would refuse in the template although it imports (a name no
    /// resource or parameter has), located in the template: the scenario is written, and
    /// `archsim import` fails.
    pub refusals: Vec<ImportError>,
}

impl Imported {
    /// Narrows the assumed calls `calls` name to what their roles allow, and says so in the
    /// notes (the scenario's and `notes`). The template's role is the evidence of what a
    /// function does with what its variables name; the operations a request carries through
    /// a queue to a worker, or the share of reads and writes the import starts an API with,
    /// are archsim's guesses, and without this a deployed stack that works was imported as
    /// one whose every call was denied. A role that allows no action at all of the callee's
    /// service on it leaves the call out (a variable naming a table, set for every function
    /// by SAM's `Globals`, says nothing of whether a function whose role cannot touch the
    /// table calls it); one that allows the callee one of the operations its requests carry
    /// makes the call carry that one (`op`). A call whose role uses the callee but allows
    /// none of what its requests ask (a function writing a table it may only read), or
    /// several of them and not all, is left as it is: that may be the template's own bug,
    /// which the run shows and the scenario's warning names. Only the import's own assumed
    /// entries are touched. Returns how many calls changed.
    pub fn narrow(&mut self, calls: &[crate::iam::PartlyDenied]) -> usize {
        let mut lines: Vec<String> = self.scenario.lines().map(str::to_string).collect();
        let mut gone = vec![false; lines.len()];
        let mut said = Vec::new();
        for c in calls {
            let at = c.position.0;
            let Some(line) = at.checked_sub(1).and_then(|l| lines.get_mut(l)) else {
                continue;
            };
            let entry = format!("  {{ to = {} }},", write::toml_str(&c.callee));
            let assumed = format!("{entry}  # {}", crate::components::iac::ASSUMED);
            if !line.starts_with(&assumed) {
                continue;
            }
            let denied: Vec<String> = c
                .denied
                .iter()
                .map(|(op, action)| format!("{action} for `{op}`"))
                .collect();
            match c.allowed.as_slice() {
                _ if !c.touches => {
                    gone[at - 1] = true;
                    said.push(format!(
                        "{} → {} ({}) is not written: its role {} allows no action on {} (its requests would ask {}), so the template says it does not call it",
                        c.caller,
                        c.callee,
                        crate::components::iac::ASSUMED,
                        c.role,
                        c.callee,
                        denied.join(", ")
                    ));
                }
                [op] => {
                    let narrowed = format!(
                        "  {{ to = {}, op = {} }},",
                        write::toml_str(&c.callee),
                        write::toml_str(op)
                    );
                    *line = line.replacen(&entry, &narrowed, 1);
                    said.push(format!(
                        "{} → {} carries `{op}` alone: its role {} allows that and denies {}",
                        c.caller,
                        c.callee,
                        c.role,
                        denied.join(", ")
                    ));
                }
                _ => continue,
            }
        }
        if said.is_empty() {
            return 0;
        }
        // A list of calls left empty goes with its brackets.
        for i in 0..lines.len() {
            if lines[i] != "calls = [" || gone[i] {
                continue;
            }
            let end = (i + 1..lines.len()).find(|&j| !gone[j]);
            if let Some(j) = end.filter(|&j| lines[j] == "]") {
                (gone[i], gone[j]) = (true, true);
            }
        }
        let mut kept: Vec<String> = lines
            .into_iter()
            .zip(&gone)
            .filter(|(_, g)| !**g)
            .map(|(l, _)| l)
            .collect();
        let noted: Vec<String> = said
            .iter()
            .map(|n| format!("#   {}", write::comment(n)))
            .collect();
        match kept.iter().position(|l| l == "# Notes on the import:") {
            Some(at) => {
                let end = (at + 1..kept.len())
                    .find(|&j| !kept[j].starts_with('#'))
                    .unwrap_or(kept.len());
                kept.splice(end..end, noted);
            }
            None => {
                let at = kept
                    .iter()
                    .position(|l| l.starts_with("# Starting values to set"))
                    .unwrap_or(kept.len());
                let mut block = vec!["# Notes on the import:".to_string()];
                block.extend(noted);
                block.push(String::new());
                kept.splice(at..at, block);
            }
        }
        self.scenario = kept.join("\n") + "\n";
        let n = said.len();
        self.notes.extend(said);
        n
    }
}

/// The formats `archsim import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A CloudFormation or SAM template in YAML.
    CloudFormationYaml,
    /// A CloudFormation or SAM template in JSON.
    CloudFormationJson,
    /// A Terraform plan in JSON (`terraform show -json plan.out`).
    TerraformPlan,
}

impl Format {
    /// The format in words, for messages.
    pub fn words(self) -> &'static str {
        match self {
            Format::CloudFormationYaml => "a CloudFormation/SAM template (YAML)",
            Format::CloudFormationJson => "a CloudFormation/SAM template (JSON)",
            Format::TerraformPlan => "a Terraform plan (JSON)",
        }
    }
}

/// A template that cannot be imported, located in its file.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ImportError {
    /// The file, as named on the command line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, and what is allowed.
    pub message: String,
}

/// Imports the template `text`, read from `file` (named in messages; its stem names the
/// scenario).
pub fn import(file: &str, text: &str) -> Result<Imported, ImportError> {
    let err = |line: usize, column: usize, message: String| ImportError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut refused = Vec::new();
    let (format, resources, parameters_note) = if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            err(
                e.line(),
                e.column(),
                format!("not valid JSON: {e}; archsim imports CloudFormation/SAM templates (JSON or YAML) and Terraform plans (JSON)"),
            )
        })?;
        if terraform::is_plan(&value) {
            let r = terraform::resources(&value).map_err(|m| err(1, 1, m))?;
            (Format::TerraformPlan, r, Vec::new())
        } else {
            let (r, notes, bad) = cfn::resources(value, text).map_err(|(l, c, m)| err(l, c, m))?;
            refused = bad;
            (Format::CloudFormationJson, r, notes)
        }
    } else {
        let (value, mut notes) = cfn::parse_yaml(text).map_err(|(l, c, m)| err(l, c, m))?;
        let (r, more, bad) = cfn::resources(value, text).map_err(|(l, c, m)| err(l, c, m))?;
        notes.extend(more);
        refused = bad;
        (Format::CloudFormationYaml, r, notes)
    };
    let dialect = match format {
        Format::TerraformPlan => Dialect::Terraform,
        _ => Dialect::CloudFormation,
    };
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("imported");
    let mut out =
        write::scenario(stem, file, format, dialect, &resources).map_err(|m| err(1, 1, m))?;
    out.notes.splice(0..0, parameters_note);
    out.refusals = refused.into_iter().map(|(l, c, m)| err(l, c, m)).collect();
    Ok(out)
}

/// The refusal of a template or plan declaring `n` resources, more than
/// `limits::MAX_TEMPLATE_RESOURCES`; `why` says what makes so many unusual.
fn too_many_resources(what: &str, n: usize, why: &str) -> String {
    format!(
        "{what} declares {n} resources, more than the {} archsim imports ({why}): import a smaller stack",
        crate::limits::MAX_TEMPLATE_RESOURCES
    )
}

/// A template's text, indexed in one pass so that locating each of its resources costs no
/// pass of its own: a template of many resources would otherwise take time growing with the
/// square of its size.
struct Text<'a> {
    text: &'a str,
    /// Where each line starts [byte].
    starts: Vec<usize>,
    /// Where each name looked for is first written as a key (`Name:`, `"Name":`): 1-based
    /// line and column.
    keys: std::collections::BTreeMap<&'a str, (usize, usize)>,
}

impl<'a> Text<'a> {
    /// The index of `text`, for the names `wanted` says will be looked for (every prefix
    /// of a line that may be a key, indexed, took up to 32 entries a line: 300 MB for a
    /// template of 15 MB).
    fn new(text: &'a str, wanted: impl Fn(&str) -> bool) -> Text<'a> {
        let mut starts = Vec::new();
        let mut keys = std::collections::BTreeMap::new();
        let mut at = 0;
        for (i, line) in text.split('\n').enumerate() {
            starts.push(at);
            at += line.len() + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            let trimmed = line.trim_start();
            let indent = line.len() - trimmed.len();
            for name in key_names(trimmed.trim_start_matches('"')) {
                if wanted(name) {
                    keys.entry(name).or_insert((i + 1, indent + 1));
                }
            }
        }
        Text { text, starts, keys }
    }

    /// The 1-based line and column where `name` is first written as a key (a resource's
    /// logical id), or the start of the file.
    fn locate(&self, name: &str) -> (usize, usize) {
        self.keys.get(name).copied().unwrap_or((1, 1))
    }

    /// Where `word` is first written as a whole word from line `from` (1-based) on (a name a
    /// resource's properties give), looking as far as a resource's properties go
    /// (`WORD_REACH` bytes), else that line's start.
    fn locate_word(&self, from: usize, word: &str) -> (usize, usize) {
        const WORD_REACH: usize = 64 << 10;
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let first = from.saturating_sub(1);
        let Some(&start) = self.starts.get(first) else {
            return (from.max(1), 1);
        };
        let mut end = (start + WORD_REACH).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        for (i, line) in self.text[start..end].lines().enumerate() {
            let mut at = 0;
            while let Some(p) = line[at..].find(word) {
                let begin = at + p;
                let stop = begin + word.len();
                let before = line[..begin].chars().next_back().is_none_or(|c| !ident(c));
                let after = line[stop..].chars().next().is_none_or(|c| !ident(c));
                if before && after {
                    return (first + i + 1, line[..begin].chars().count() + 1);
                }
                at = stop;
            }
        }
        (from.max(1), 1)
    }
}

/// The names a line (past its indentation and opening quotes) may write as a key: what comes
/// before a `:`, less the quotes and blanks between (`Name:`, `Name":`, `"Name" :`). A few
/// `:`s of a line's first kilobyte are looked at, which a logical id (255 characters at
/// most) is within.
fn key_names(key: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (p, _) in key.match_indices(':').take(8) {
        if p > 1024 {
            break;
        }
        let before = &key[..p];
        let unblanked = before.trim_end().len();
        let unquoted = before[..unblanked].trim_end_matches('"').len();
        // Each length between: the quotes before the blanks may be the name's own.
        out.extend((unquoted..=unblanked).take(4).map(|q| &key[..q]));
    }
    out
}

/// Resources read from a template, before mapping.
type Resources = Vec<Declared>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the names looked for are indexed, each where it is first written as a key,
    /// however many other would-be keys the lines hold.
    #[test]
    fn a_templates_index_holds_the_names_looked_for_only() {
        let mut text = String::from("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n");
        text.push_str("Description: |\n");
        for i in 0..100 {
            text.push_str(&format!("  k{i} \" :a\" \" :b\" Queue: \" :c\"\n"));
        }
        text.push_str("  \"Table\" : x\n");
        let wanted = ["Resources", "Queue", "Table", "Globals"];
        let index = Text::new(&text, |name| wanted.contains(&name));
        assert_eq!(index.keys.len(), 3, "{:?}", index.keys);
        assert_eq!(index.locate("Resources"), (1, 1));
        assert_eq!(index.locate("Queue"), (2, 3));
        assert_eq!(index.locate("Table"), (105, 3));
        assert_eq!(
            index.locate("Globals"),
            (1, 1),
            "not written: the file's start"
        );
    }
}

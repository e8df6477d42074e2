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

/// The 1-based line and column where `name` is first written as a key in `text` (a resource's
/// logical id), or the start of the file.
fn locate(text: &str, name: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let key = trimmed.trim_start_matches('"');
        if let Some(rest) = key.strip_prefix(name) {
            let rest = rest.trim_start_matches('"').trim_start();
            if rest.starts_with(':') {
                return (i + 1, indent + 1);
            }
        }
    }
    (1, 1)
}

/// Resources read from a template, before mapping.
type Resources = Vec<Declared>;

//! `cargo xtask compat [--against GIT_REF|FILE] [--schema FILE] [--format human|json]`: flags breaking schema changes.
//!
//! Exit codes: 0 when nothing breaking changed (or the `x-version` major number was raised, or there is no old schema
//! to compare with), 1 when a breaking change is not declared by a major bump, 2 on bad input (an unreadable ref or
//! file, a schema that does not lower).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

use crate::ReportFormat as Format;
use handoff_schema::{Contract, SCHEMA_PATH, compat};

#[derive(clap::Args)]
pub struct Args {
    /// The old schema: a file path, or a git ref whose schema/protocol.schema.json is read (an existing file wins).
    /// Default: the merge base of HEAD with `main` when HEAD has commits main lacks; otherwise HEAD when the schema
    /// has uncommitted changes, else HEAD~1.
    #[arg(long, value_name = "GIT_REF|FILE")]
    against: Option<String>,
    /// The new schema file. Default: the workspace's schema/protocol.schema.json. A git ref given to --against is
    /// read from the repository holding this file, at this file's path.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// `human`: findings grouped by def with pointers; `json`: one JSON document (see README "Schema evolution").
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Where the old schema comes from.
enum OldSchema {
    /// The text and a label naming its origin, e.g. `HEAD~1 (3f2a…):schema/protocol.schema.json`.
    Found { text: String, source: String },
    /// There is nothing to compare with; the note says why.
    Absent { note: String },
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let root = crate::workspace_root();
    let new_path = args.schema.clone().unwrap_or_else(|| root.join(SCHEMA_PATH));
    let new_source = args.schema.as_ref().map_or_else(|| SCHEMA_PATH.to_owned(), |p| p.display().to_string());
    let new_text =
        std::fs::read_to_string(&new_path).with_context(|| format!("cannot read the schema {}", new_path.display()))?;
    let new =
        Contract::from_str(&new_text, &new_source).with_context(|| format!("the schema {new_source} is invalid"))?;

    let git = match &args.schema {
        None => Git { root, path: SCHEMA_PATH.to_owned() },
        Some(file) => Git::holding(file).unwrap_or(Git { root, path: SCHEMA_PATH.to_owned() }),
    };
    let old = match &args.against {
        Some(against) if Path::new(against).is_file() => {
            let text = std::fs::read_to_string(against).with_context(|| format!("cannot read {against}"))?;
            OldSchema::Found { text, source: against.clone() }
        }
        Some(against) => git.schema_at(against, against)?,
        None => default_old_schema(&git)?,
    };
    let (old_text, old_source) = match old {
        OldSchema::Found { text, source } => (text, source),
        OldSchema::Absent { note } => {
            match args.format {
                Format::Human => println!("compat: {note}; nothing to compare, the check passes"),
                Format::Json => println!("{:#}", compat::render_json_absent(&note)),
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let old = Contract::from_str(&old_text, &old_source)
        .with_context(|| format!("the old schema {old_source} is invalid (or no longer accepted by the lowering)"))?;

    let report = compat::compare(&old.ir, &new.ir);
    match args.format {
        Format::Human => print!("{}", compat::render_human(&report, &old_source, &new_source)),
        Format::Json => println!("{:#}", compat::render_json(&report, &old_source, &new_source)),
    }
    Ok(if report.fails() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The old schema when `--against` is not given: what this branch changed since it left `main`; on `main` itself,
/// the uncommitted edit of the schema if there is one, else the last commit.
fn default_old_schema(git: &Git) -> anyhow::Result<OldSchema> {
    git.check_installed()?;
    let Some(head) = git.commit("HEAD") else {
        return Ok(OldSchema::Absent { note: format!("the repository at {} has no commit yet", git.root.display()) });
    };
    let main = ["main", "origin/main"].into_iter().find_map(|name| git.commit(name).map(|c| (name, c)));
    if let Some((name, main_commit)) = main
        && let Some(base) = git.output(&["merge-base", "HEAD", &main_commit])
        && base != head
    {
        return git.schema_at(&base, &format!("merge base with {name} ({})", short(&base)));
    }
    if git.output(&["diff", "--quiet", "HEAD", "--", &format!(":/{}", git.path)]).is_none() {
        return git.schema_at("HEAD", &format!("HEAD ({})", short(&head)));
    }
    match git.commit("HEAD~1") {
        Some(previous) => git.schema_at(&previous, &format!("HEAD~1 ({})", short(&previous))),
        None => Ok(OldSchema::Absent { note: format!("HEAD ({}) has no previous commit", short(&head)) }),
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// The repository the old schema is read from, and the schema's path inside it.
struct Git {
    root: PathBuf,
    path: String,
}

impl Git {
    /// The repository holding `file`, if it is inside one.
    fn holding(file: &Path) -> Option<Git> {
        let file = file.canonicalize().ok()?;
        let output = Command::new("git").arg("-C").arg(file.parent()?).args(["rev-parse", "--show-toplevel"]).output();
        let output = output.ok().filter(|o| o.status.success())?;
        let root = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim()).canonicalize().ok()?;
        let path = file.strip_prefix(&root).ok()?.to_str()?.replace('\\', "/");
        Some(Git { root, path })
    }

    /// Without git, every ref would look missing: say so instead.
    fn check_installed(&self) -> anyhow::Result<()> {
        Command::new("git").arg("--version").output().context("cannot run git")?;
        Ok(())
    }

    /// Runs git in the repository; `Some(stdout)` on success, trimmed.
    fn output(&self, args: &[&str]) -> Option<String> {
        let output = Command::new("git").arg("-C").arg(&self.root).args(args).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The full commit id `rev` names, if it names a commit.
    fn commit(&self, rev: &str) -> Option<String> {
        self.output(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
    }

    /// The schema file as committed at `rev`. A ref that names no commit is an error; a commit without the schema
    /// file has nothing to compare with.
    fn schema_at(&self, rev: &str, label: &str) -> anyhow::Result<OldSchema> {
        self.check_installed()?;
        let Some(commit) = self.commit(rev) else {
            bail!("`{rev}` is neither a file nor a git commit in {}", self.root.display());
        };
        let object = format!("{commit}:{}", self.path);
        if self.output(&["cat-file", "-e", &object]).is_none() {
            return Ok(OldSchema::Absent { note: format!("{label} has no {}", self.path) });
        }
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["show", &object])
            .output()
            .with_context(|| format!("cannot run `git show {object}`"))?;
        if !output.status.success() {
            bail!("`git show {object}` failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        let text = String::from_utf8(output.stdout).with_context(|| format!("{object} is not UTF-8"))?;
        Ok(OldSchema::Found { text, source: format!("{label}:{}", self.path) })
    }
}

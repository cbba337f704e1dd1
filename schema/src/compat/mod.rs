//! Schema evolution: compares two lowered contracts and classifies every change as breaking or compatible.
//!
//! Each change gets an [`Effect`] on the wire, independent of who reads the def:
//! - *rejects old*: a decoder built from the new schema can reject a message written to the old one
//!   (a member became required, an enum value went away, a pattern got stricter, an object was closed);
//! - *rejects new*: a decoder built from the old schema can reject a message written to the new one, either only
//!   when the writer uses what was added ([`NewMessages::Possible`]: an enum value added, a type widened) or every
//!   time ([`NewMessages::Always`]: a required member removed, a type replaced).
//!
//! Whether an effect is breaking depends on the direction the def travels in ([`Usage`], worked out from the method
//! table and the realtime tools):
//! - defs the client *decodes* (server → client messages, tool arguments written by the model) are read by the
//!   generated Rust and Swift code, and both an old app talking to a new app-server and a new app reading old
//!   messages happen, so every effect that the generated decoders do not tolerate is breaking;
//! - defs the client *encodes* (client → server) are read by the app-server. A new server must still take what old
//!   clients send (rejects old is breaking), while an addition a new client merely *may* use is compatible: the
//!   client only sends it to servers that know it. Only [`NewMessages::Always`] breaks old servers.
//!
//! What the generated decoders tolerate is folded into the effect where the change is found: open objects keep
//! unknown members, a tagged union with a fallback variant takes unknown tags, and open string enums (every enum the
//! client decodes, unless the schema closes it: [`crate::ir::Openness`]) keep unlisted values in every language.

mod defs;
mod render;
mod tables;
mod types;

use std::collections::BTreeMap;

use crate::ir::Ir;

pub use crate::ir::Usage;
pub use render::{render_human, render_json, render_json_absent};

/// Group name of findings about the `x-rpc` method table.
pub const RPC_GROUP: &str = "x-rpc";
/// Group name of findings about the `x-realtime-tools` list.
pub const TOOLS_GROUP: &str = "x-realtime-tools";

/// What happens to messages of one schema when they meet decoders of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effect {
    /// Decoders built from the new schema can reject messages written to the old one.
    pub rejects_old: bool,
    /// Whether decoders built from the old schema reject messages written to the new one.
    pub rejects_new: NewMessages,
}

impl Effect {
    pub const NONE: Effect = Effect { rejects_old: false, rejects_new: NewMessages::Accepted };
    pub const REJECTS_OLD: Effect = Effect { rejects_old: true, rejects_new: NewMessages::Accepted };
    pub const MAY_REJECT_NEW: Effect = Effect { rejects_old: false, rejects_new: NewMessages::Possible };
    /// A replacement: old messages fail new decoders and new messages fail old ones.
    pub const BOTH: Effect = Effect { rejects_old: true, rejects_new: NewMessages::Always };
}

/// How decoders built from the old schema fare with messages written to the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum NewMessages {
    /// They accept them.
    #[default]
    Accepted,
    /// They reject the messages that use what the change added (a new enum value, a wider type).
    Possible,
    /// They reject every new message that holds the changed part (a required member removed, a type replaced).
    Always,
}

/// The verdict on one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Breaking,
    Compatible,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Compatible => "compatible",
        }
    }
}

/// What kind of change a finding is. The wire id (`kebab-case`) is stable: CI output and tests use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    DefAdded,
    DefRemoved,
    DefKindChanged,
    DocChanged,
    FieldAdded,
    RequiredFieldAdded,
    FieldRemoved,
    FieldRequired,
    FieldOptional,
    FieldNullable,
    FieldNonNullable,
    FieldAliasAdded,
    FieldAliasRemoved,
    FieldDefaultChanged,
    ObjectClosed,
    ObjectOpened,
    TypeWidened,
    TypeNarrowed,
    TypeChanged,
    TypeRenamed,
    EnumValueAdded,
    EnumValueRemoved,
    ConstChanged,
    UnionTagChanged,
    UnionVariantAdded,
    UnionVariantRemoved,
    UnionFallbackAdded,
    UnionFallbackRemoved,
    ConstraintTightened,
    ConstraintLoosened,
    ConstraintChanged,
    MethodAdded,
    MethodRemoved,
    MethodDirectionChanged,
    ToolAdded,
    ToolRemoved,
    ToolRenamed,
    ToolAliasAdded,
    ToolAliasRemoved,
    ToolDeclarerChanged,
}

impl ChangeKind {
    pub fn id(self) -> &'static str {
        use ChangeKind::*;
        match self {
            DefAdded => "def-added",
            DefRemoved => "def-removed",
            DefKindChanged => "def-kind-changed",
            DocChanged => "doc-changed",
            FieldAdded => "field-added",
            RequiredFieldAdded => "required-field-added",
            FieldRemoved => "field-removed",
            FieldRequired => "field-required",
            FieldOptional => "field-optional",
            FieldNullable => "field-nullable",
            FieldNonNullable => "field-non-nullable",
            FieldAliasAdded => "field-alias-added",
            FieldAliasRemoved => "field-alias-removed",
            FieldDefaultChanged => "field-default-changed",
            ObjectClosed => "object-closed",
            ObjectOpened => "object-opened",
            TypeWidened => "type-widened",
            TypeNarrowed => "type-narrowed",
            TypeChanged => "type-changed",
            TypeRenamed => "type-renamed",
            EnumValueAdded => "enum-value-added",
            EnumValueRemoved => "enum-value-removed",
            ConstChanged => "const-changed",
            UnionTagChanged => "union-tag-changed",
            UnionVariantAdded => "union-variant-added",
            UnionVariantRemoved => "union-variant-removed",
            UnionFallbackAdded => "union-fallback-added",
            UnionFallbackRemoved => "union-fallback-removed",
            ConstraintTightened => "constraint-tightened",
            ConstraintLoosened => "constraint-loosened",
            ConstraintChanged => "constraint-changed",
            MethodAdded => "method-added",
            MethodRemoved => "method-removed",
            MethodDirectionChanged => "method-direction-changed",
            ToolAdded => "tool-added",
            ToolRemoved => "tool-removed",
            ToolRenamed => "tool-renamed",
            ToolAliasAdded => "tool-alias-added",
            ToolAliasRemoved => "tool-alias-removed",
            ToolDeclarerChanged => "tool-declarer-changed",
        }
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The def the change is in, or [`RPC_GROUP`] / [`TOOLS_GROUP`] for the method table and the tools.
    pub def: String,
    /// JSON pointer of the changed node: in the new schema, or in the old one for something removed.
    pub pointer: String,
    pub kind: ChangeKind,
    pub effect: Effect,
    /// The directions the def travels in, in either schema.
    pub usage: Usage,
    pub class: Class,
    /// What changed and why that is (not) breaking.
    pub message: String,
}

impl Finding {
    /// The finding as one line of human output (see [`finding_line`]).
    pub fn line(&self) -> String {
        finding_line(self.class, self.kind.id(), &self.pointer, &self.message)
    }
}

/// One finding as a line of human output, `class[kind] pointer: message`: the compat report and the upstream
/// comparison group these lines under their def, so both read alike.
pub fn finding_line(class: Class, kind: &str, pointer: &str, message: &str) -> String {
    format!("{}[{kind}] {pointer}: {message}", class.as_str())
}

/// All changes between two contracts.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub old_version: String,
    pub new_version: String,
    /// Sorted by def, then pointer, then kind.
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn breaking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.class == Class::Breaking)
    }

    pub fn has_breaking(&self) -> bool {
        self.breaking().next().is_some()
    }

    /// True when the new `x-version` has a higher major number than the old one: breaking changes are declared.
    pub fn major_raised(&self) -> bool {
        match (major(&self.old_version), major(&self.new_version)) {
            (Some(old), Some(new)) => new > old,
            _ => false,
        }
    }

    /// True when the comparison fails: a breaking change without a major version bump.
    pub fn fails(&self) -> bool {
        self.has_breaking() && !self.major_raised()
    }
}

fn major(version: &str) -> Option<u64> {
    version.split('.').next()?.parse().ok()
}

/// A change found before it is classified: classification needs the def's usage, known only once both contracts
/// are walked.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub def: String,
    pub pointer: String,
    pub kind: ChangeKind,
    pub effect: Effect,
    pub message: String,
    /// Set for changes whose direction is fixed by where they are (a method's params or result), not by the def.
    pub usage: Option<Usage>,
}

impl Change {
    pub fn new(def: &str, pointer: &str, kind: ChangeKind, effect: Effect, message: impl Into<String>) -> Change {
        Change { def: def.to_owned(), pointer: pointer.to_owned(), kind, effect, message: message.into(), usage: None }
    }

    pub fn with_usage(mut self, usage: Usage) -> Change {
        self.usage = Some(usage);
        self
    }
}

/// Compares the `old` contract with the `new` one.
pub fn compare(old: &Ir, new: &Ir) -> Report {
    let mut changes = Vec::new();
    defs::diff_defs(old, new, &mut changes);
    tables::diff_methods(old, new, &mut changes);
    tables::diff_tools(old, new, &mut changes);

    let old_usage = old.usage();
    let new_usage = new.usage();
    let def_usage = |name: &str| -> Usage {
        let get = |map: &BTreeMap<String, Usage>| map.get(name).copied().unwrap_or_default();
        get(&old_usage).or(get(&new_usage))
    };
    let mut findings: Vec<Finding> = changes
        .into_iter()
        .map(|change| {
            let usage = change.usage.unwrap_or_else(|| def_usage(&change.def));
            let class = classify(change.effect, usage);
            let message = format!("{} ({})", change.message, explain(change.effect, usage, class));
            Finding {
                def: change.def,
                pointer: change.pointer,
                kind: change.kind,
                effect: change.effect,
                usage,
                class,
                message,
            }
        })
        .collect();
    findings.sort_by(|a, b| (&a.def, &a.pointer, a.kind).cmp(&(&b.def, &b.pointer, b.kind)));
    Report { old_version: old.version.clone(), new_version: new.version.clone(), findings }
}

/// The rule of the module docs: decoded defs break on any effect, encoded defs on what old clients send or what
/// new clients cannot avoid sending.
pub fn classify(effect: Effect, usage: Usage) -> Class {
    let breaks_decoded = usage.decoded && (effect.rejects_old || effect.rejects_new != NewMessages::Accepted);
    let breaks_encoded = usage.encoded && (effect.rejects_old || effect.rejects_new == NewMessages::Always);
    if breaks_decoded || breaks_encoded { Class::Breaking } else { Class::Compatible }
}

/// Why a change is (not) breaking, for the finding's message.
fn explain(effect: Effect, usage: Usage, class: Class) -> String {
    let mut reasons = Vec::new();
    if effect.rejects_old {
        reasons.push("decoders built from the new schema can reject messages written to the old one");
    }
    match effect.rejects_new {
        NewMessages::Accepted => {}
        NewMessages::Possible if class == Class::Breaking || usage.decoded => {
            reasons.push("decoders built from the old schema can reject new messages that use it")
        }
        NewMessages::Possible => reasons.push(
            "the client encodes this def: old app-servers reject only new messages that make use of the change, \
             which clients send by choice, while what old clients send still decodes",
        ),
        NewMessages::Always => {
            reasons.push("decoders built from the old schema reject every new message that holds it")
        }
    }
    if !usage.decoded && !usage.encoded && effect != Effect::NONE {
        reasons.push("no method or tool uses this def, so no message is affected");
    }
    if reasons.is_empty() {
        reasons.push("decoders of either schema accept messages of the other");
    }
    reasons.join("; ")
}

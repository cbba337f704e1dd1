//! IR → the `CodexHandoffContract` Swift package under `generated/swift`: `Codable` structs with exact wire
//! names, open string enums, tagged unions, constraint-checked newtypes, the JSON-RPC method table, and an
//! XCTest target over the shared fixtures.
//!
//! Source files are grouped by protocol area ([`handoff_schema::Group`]); each is deterministic text from a line writer
//! ([`code`]), since no Swift formatter runs here. Tests parse every file with tree-sitter's Swift grammar.

mod code;

pub(crate) use code::string_literal;
mod enums;
mod methods;
mod names;
mod newtypes;
mod package;
mod structs;
mod support;
mod types;
mod unions;

use handoff_schema::Ir;

use self::code::Code;
use crate::{CodegenError, Output, header};
use handoff_schema::Group;

pub const ROOT: &str = "generated/swift";
/// The library product, target and module name.
pub const MODULE: &str = "CodexHandoffContract";
pub const TEST_TARGET: &str = "CodexHandoffContractTests";

pub fn generate(ir: &Ir) -> Result<Output, CodegenError> {
    let mut output = Output::new(ROOT);
    output.add("Package.swift", package::package_swift(None));
    let sources = format!("Sources/{MODULE}");
    let groups = ir.groups();
    for group in Group::ALL {
        let members: Vec<_> = ir.types.values().filter(|def| groups[&def.name] == group).collect();
        if members.is_empty() {
            continue;
        }
        let mut code = source_file(group.summary());
        for def in members {
            code.blank();
            types::render(ir, def, &mut code)?;
        }
        output.add(&format!("{sources}/{}.swift", swift_file_stem(group)), finish(code));
    }
    let mut code = source_file("The JSON-RPC method table of the app-server protocol.");
    code.blank();
    methods::render(ir, &mut code)?;
    output.add(&format!("{sources}/Methods.swift"), finish(code));
    output.add(&format!("{sources}/Support.swift"), support::support_swift(ir));
    // The realtime backend owns the tool list and prompt text; the package carries them as constants. A
    // contract without realtime tools (the backend's small test IRs) has nothing to put there.
    if !ir.realtime_tools.is_empty() {
        output.add(&format!("{sources}/Realtime.swift"), crate::realtime::swift_source(ir)?);
    }
    output.add(&format!("Tests/{TEST_TARGET}/FixtureTests.swift"), package::fixture_tests_swift(ir));
    output.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(output)
}

/// `Package.swift` at the repository root, pointing into [`ROOT`]: SwiftPM only finds a package by repository
/// URL when its manifest is at the top of the repository.
pub fn root_manifest() -> Output {
    let mut output = Output::shared("");
    output.add("Package.swift", package::package_swift(Some(ROOT)));
    output
}

/// A new source file with its one-line summary (the header is added by [`finish`]). The type files need only
/// the standard library; leaving Foundation out keeps names such as `Thread` unambiguous in them. The one
/// Foundation call (regular expressions) lives in `Support.swift`.
fn source_file(summary: &str) -> Code {
    let mut code = Code::new();
    code.line(format!("// {summary}"));
    code
}

fn finish(code: Code) -> String {
    format!("{}\n{}", header("//"), code.finish())
}

/// Swift spells the acronym in capitals (`JSONRPC.swift`); the other files take the shared stem.
fn swift_file_stem(group: Group) -> &'static str {
    match group {
        Group::JsonRpc => "JSONRPC",
        other => other.stem(),
    }
}

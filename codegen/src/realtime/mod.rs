//! IR → the realtime voice model's side of the contract: the function tools of a `session.update`
//! (`generated/realtime/tools.json`), the prompt guidance (`generated/realtime/instructions.md`), and the same
//! two texts as constants for the Rust crate and the Swift package, with a parser of the model's tool calls.
//!
//! The functions here are what the other backends call: [`tools_json`], [`instructions_template`],
//! [`swift_source`] and [`rust_module`]. They fail, never panic, when the IR has something a realtime tool
//! cannot express.

mod instructions;
mod params;
mod rust_module;
mod swift;

use handoff_schema::Ir;

use crate::{CodegenError, Output};

pub use instructions::{instructions_md, instructions_template};
pub use params::{parameters_schema, tool_value, tools_json};
pub use rust_module::rust_module;
pub use swift::swift_source;

const BACKEND: &str = "realtime";
/// Directory this backend owns.
pub const ROOT: &str = "generated/realtime";
/// The placeholder in the instructions template where the app puts the list of connected servers.
pub const SERVERS_SLOT: &str = "{{servers}}";
/// What the server list says when no server is connected; the generated renderers print the same.
pub const NO_SERVERS_LINE: &str = "- (no servers are connected)";

pub fn generate(ir: &Ir) -> Result<Output, CodegenError> {
    let mut output = Output::new(ROOT);
    output.add("tools.json", tools_json(ir)?);
    output.add("instructions.md", instructions_md(ir)?);
    Ok(output)
}

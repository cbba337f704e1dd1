//! Prints the IR of the canonical schema: `cargo run -p handoff-schema --example dump_ir`.
fn main() {
    match handoff_schema::Contract::canonical() {
        Ok(contract) => println!("{:#?}", contract.ir),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}

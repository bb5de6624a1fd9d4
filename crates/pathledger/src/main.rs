//! The `pathledger` command-line program.
fn main() -> anyhow::Result<()> {
    Ok(())
}

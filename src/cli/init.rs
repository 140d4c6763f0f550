//! `boomsim init`: a built-in model as a file to edit.

use std::path::PathBuf;

use boomsim::model::{BuiltIn, init_model};
use boomsim::output::terminal::model_written;

use super::{Failure, print};

#[derive(clap::Args)]
pub struct Args {
    /// Where to write it [default: python-5x.toml, or python-5x-map.toml with --from map].
    path: Option<PathBuf>,
    /// Which built-in model: `default` (the scenario with ten representative assets) or `map`
    /// (every investment the scenario names: 40 assets).
    #[arg(long, value_enum, default_value_t = Starter::Default)]
    from: Starter,
}

/// The built-in models, as the command line names them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Starter {
    Default,
    Map,
}

impl Args {
    pub fn execute(self) -> Result<(), Failure> {
        let model = match self.from {
            Starter::Default => BuiltIn::Default,
            Starter::Map => BuiltIn::Map,
        };
        let path = self
            .path
            .unwrap_or_else(|| PathBuf::from(format!("{}.toml", model.name())));
        let shown = path.display();
        let name = init_model(&path, model).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Failure::failed(format!(
                "{shown} already exists, and init never overwrites a file\n  help: give another path, e.g. boomsim init my-model.toml"
            )),
            _ => Failure::failed(format!("cannot write {shown}: {e}")),
        })?;
        print(&model_written(&path, &name, model));
        Ok(())
    }
}

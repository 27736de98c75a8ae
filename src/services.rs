//! The one bootstrap the window and the command line share: the async runtime, the Mark ID
//! simulator in demo mode (pointed to by the config), the API client and the journal.

use std::sync::{Arc, Mutex};

use tokio::runtime::{Handle, Runtime};

use crate::api::{ApiError, MarkIdClient};
use crate::config::{Config, InvalidSetting};
use crate::journal::{Journal, JournalUnavailable};
use crate::simulator::{SimulatorConfig, SimulatorHandle};

/// The submission journal, shared by the tasks that write and read it.
pub type SharedJournal = Arc<Mutex<Journal>>;

/// Why the services cannot start. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// The tokio runtime could not start (threads, file descriptors).
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The demo simulator could not listen on 127.0.0.1.
    #[error("cannot start the demo simulator: {0}")]
    Simulator(std::io::Error),
    /// No credentials and no demo mode.
    #[error(
        "no API credentials: set api.key and api.secret in the config (or MARKID_API_KEY and MARKID_API_SECRET), or add --demo to use the simulator"
    )]
    NoCredentials,
    /// The config's API settings are unusable.
    #[error("config: {0}")]
    Config(#[from] InvalidSetting),
    /// The HTTP client cannot start (its TLS backend).
    #[error("{0}")]
    Client(#[from] ApiError),
}

/// What every way of running the kiosk needs.
pub struct Services {
    /// The API client (for the simulator in demo mode).
    pub client: MarkIdClient,
    /// The submission journal, or why there is none: the kiosk serves customers without one,
    /// and staff see why.
    pub journal: Result<SharedJournal, JournalUnavailable>,
    /// The demo simulator; `None` with real credentials. Stopped when dropped.
    simulator: Option<SimulatorHandle>,
    /// Dropped last: the client's and the simulator's tasks run on it.
    runtime: Runtime,
}

impl Services {
    /// Starts the runtime, in `demo` mode the simulator (the config is pointed at it), the
    /// client and the journal.
    pub fn start(config: &mut Config, demo: bool) -> Result<Services, ServicesError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("markid-io")
            .build()
            .map_err(ServicesError::Runtime)?;
        let simulator = if demo {
            let simulator = runtime
                .block_on(SimulatorHandle::start_local(SimulatorConfig::default()))
                .map_err(ServicesError::Simulator)?;
            simulator.configure(config);
            Some(simulator)
        } else {
            None
        };
        if !config.has_credentials() {
            return Err(ServicesError::NoCredentials);
        }
        let client = MarkIdClient::new(config.client_settings()?)?;
        Ok(Services {
            client,
            journal: open_journal(config),
            simulator,
            runtime,
        })
    }

    /// Whether the simulator stands in for Mark ID.
    pub fn demo(&self) -> bool {
        self.simulator.is_some()
    }

    /// The simulator, in demo mode.
    pub fn simulator(&self) -> Option<&SimulatorHandle> {
        self.simulator.as_ref()
    }

    /// A handle to the runtime, for spawning.
    pub fn handle(&self) -> Handle {
        self.runtime.handle().clone()
    }

    /// Runs `work` to its end on the runtime (the command line's way).
    pub fn block_on<T>(&self, work: impl Future<Output = T>) -> T {
        self.runtime.block_on(work)
    }
}

/// Opens the configured journal, or says why there is none.
pub fn open_journal(config: &Config) -> Result<SharedJournal, JournalUnavailable> {
    let path = config
        .journal
        .resolved_path()
        .ok_or(JournalUnavailable::NoDataDirectory)?;
    Journal::open(&path, config.journal.retention())
        .map(|journal| Arc::new(Mutex::new(journal)))
        .map_err(|error| {
            tracing::warn!("no submission journal: {error}");
            error.into()
        })
}

//! A kiosk that talks (EN 301 549 5.1.3: audio output of the visual information, in the
//! language of the content): each customer screen's title, its instructions and the live
//! capture hint are spoken through the OS's speech service, when the customer asks for it
//! with "Read aloud" or staff switch it on.
//!
//! - `Narrator` is pure: given what a screen shows, it decides what to say and when (a new
//!   screen or language says everything; a new live hint says only the hint);
//! - `Speech` runs the chosen backend on its own thread: the OS's voices (`tts`), or `log:PATH`,
//!   one JSON object a line, for tests and rehearsals.
//!
//! Only texts from the translation files are spoken, never anything of the customer's.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

use crate::api::Locale;

/// When the kiosk speaks (`[accessibility] speech`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SpeechMode {
    /// Only when a customer presses "Read aloud".
    #[default]
    Off,
    /// From the start of every session ("Read aloud" switches it off).
    On,
    /// When headphones are plugged in, as the sound server tells (Linux: `pactl`, checked
    /// every few seconds); where it cannot tell, the toggle alone.
    OnHeadset,
}

/// Whether the sound goes to headphones, from `pactl list sinks` (PulseAudio, or PipeWire's
/// pulse server, on Linux): the active port of a sink that is running, or else of any sink,
/// is a headphone or headset jack. The OS tells this when a plug goes in; `None` when the text
/// has no sinks (no sound server).
pub fn headset_in_pactl(sinks: &str) -> Option<bool> {
    let mut any = None;
    let mut running = false;
    for line in sinks.lines().map(str::trim) {
        if line.starts_with("Sink #") {
            running = false;
        } else if let Some(state) = line.strip_prefix("State:") {
            running = state.trim() == "RUNNING";
        } else if let Some(port) = line.strip_prefix("Active Port:") {
            let port = port.trim().to_ascii_lowercase();
            let headset = port.contains("headphone") || port.contains("headset");
            if running {
                return Some(headset);
            }
            any = Some(any.unwrap_or(false) || headset);
        }
    }
    any
}

/// Asks the sound server whether headphones are plugged in (Linux; elsewhere, and without a
/// sound server, `None`: the toggle alone decides).
pub fn headset_plugged_in() -> Option<bool> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let output = std::process::Command::new("pactl")
        .args(["list", "sinks"])
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| headset_in_pactl(&String::from_utf8_lossy(&output.stdout)))
        .flatten()
}

/// Watches for headphones on a thread of its own (`pactl` takes a few milliseconds, too long
/// for the UI thread), every `HEADSET_POLL`; `wake` asks the UI for a frame on a change.
pub struct HeadsetWatch {
    /// 0: the sound server cannot tell; 1: no headphones; 2: headphones.
    state: std::sync::Arc<std::sync::atomic::AtomicU8>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// How often the headset watch asks.
const HEADSET_POLL: std::time::Duration = std::time::Duration::from_secs(2);

impl HeadsetWatch {
    /// Starts watching.
    pub fn start(wake: impl Fn() + Send + 'static) -> Self {
        use std::sync::atomic::Ordering;
        let state = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, stopped) = (state.clone(), stop.clone());
        let started = std::thread::Builder::new()
            .name("headset".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    let now = match headset_plugged_in() {
                        None => 0,
                        Some(false) => 1,
                        Some(true) => 2,
                    };
                    if seen.swap(now, Ordering::Relaxed) != now {
                        wake();
                    }
                    std::thread::sleep(HEADSET_POLL);
                }
            });
        if let Err(error) = started {
            tracing::warn!(%error, "the headset watch did not start: Read aloud is the toggle alone");
        }
        Self { state, stop }
    }

    /// Whether headphones are plugged in; `None` while the sound server cannot tell.
    pub fn plugged_in(&self) -> Option<bool> {
        match self.state.load(std::sync::atomic::Ordering::Relaxed) {
            1 => Some(false),
            2 => Some(true),
            _ => None,
        }
    }
}

impl Drop for HeadsetWatch {
    fn drop(&mut self) {
        // The thread sees it within one poll and ends; nobody waits for it.
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Where speech goes (`[accessibility] speech_backend`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpeechBackend {
    /// The OS's speech service.
    System,
    /// Appended to a file, one `{"lang": .., "text": ..}` a line.
    Log(PathBuf),
}

impl SpeechBackend {
    /// `"system"` or `"log:PATH"`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.strip_prefix("log:") {
            Some(path) if !path.trim().is_empty() => Some(Self::Log(PathBuf::from(path))),
            Some(_) => None,
            None => (text == "system").then_some(Self::System),
        }
    }
}

/// One thing to say, in a language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Utterance {
    /// The language's code (`lt`).
    pub lang: &'static str,
    /// What to say.
    pub text: String,
}

/// What a customer screen shows that is spoken: its title and instructions, and the live hint
/// of a capture screen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScreenSpeech {
    /// The title and the instructions, in reading order.
    pub lines: Vec<String>,
    /// The live capture hint, if any.
    pub hint: Option<String>,
}

/// Decides what to say. Pure: the app feeds it every frame's screen and sends what it returns.
#[derive(Debug, Default)]
pub struct Narrator {
    enabled: bool,
    last: Option<(Locale, ScreenSpeech)>,
}

impl Narrator {
    /// A narrator, speaking from the start or not.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            last: None,
        }
    }

    /// Whether it speaks.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// "Read aloud" pressed: on or off. Switched on, the screen on show is read from its title.
    pub fn toggle(&mut self) {
        self.set(!self.enabled);
    }

    /// On or off (a new session starts as configured).
    pub fn set(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.last = None;
    }

    /// The keyboard moved to a control: its name, so that a customer who cannot see the
    /// screen knows what Enter would press (EN 301 549 5.1.6).
    pub fn focused(&self, locale: Locale, label: &str) -> Vec<Utterance> {
        if !self.enabled || label.trim().is_empty() {
            return Vec::new();
        }
        vec![Utterance {
            lang: locale.as_str(),
            text: label.to_owned(),
        }]
    }

    /// The screen on show: what to say now. A new screen or language is read whole; on the
    /// same screen only a changed hint is said.
    pub fn update(&mut self, locale: Locale, screen: ScreenSpeech) -> Vec<Utterance> {
        if !self.enabled {
            return Vec::new();
        }
        let lang = locale.as_str();
        let say = |text: &String| Utterance {
            lang,
            text: text.clone(),
        };
        let spoken = match &self.last {
            Some((last_locale, last)) if *last_locale == locale && last.lines == screen.lines => {
                match &screen.hint {
                    Some(hint) if last.hint.as_ref() != Some(hint) => vec![say(hint)],
                    _ => Vec::new(),
                }
            }
            _ => screen.lines.iter().chain(&screen.hint).map(say).collect(),
        };
        self.last = Some((locale, screen));
        spoken
    }
}

/// The speech thread: utterances in, spoken (or logged) in order; a new screen's first
/// utterance stops what is still being said.
pub struct Speech {
    sender: Option<mpsc::Sender<Vec<Utterance>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Speech {
    /// Starts the backend's thread.
    pub fn start(backend: SpeechBackend) -> Self {
        let (sender, receiver) = mpsc::channel::<Vec<Utterance>>();
        let thread = std::thread::Builder::new()
            .name("speech".into())
            .spawn(move || match backend {
                SpeechBackend::Log(path) => log_utterances(&path, &receiver),
                SpeechBackend::System => speak_utterances(&receiver),
            })
            .map_err(|error| tracing::error!(%error, "the speech thread did not start"))
            .ok();
        Self {
            sender: Some(sender),
            thread,
        }
    }

    /// Says these, after (or, for a new screen, instead of) what is being said.
    pub fn say(&self, utterances: Vec<Utterance>) {
        if utterances.is_empty() {
            return;
        }
        if let Some(sender) = &self.sender {
            let _ = sender.send(utterances);
        }
    }
}

impl Drop for Speech {
    fn drop(&mut self) {
        // Closing the channel ends the thread.
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn log_utterances(path: &std::path::Path, receiver: &mpsc::Receiver<Vec<Utterance>>) {
    for batch in receiver {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| {
                for utterance in &batch {
                    let line = serde_json::to_string(utterance).map_err(std::io::Error::other)?;
                    writeln!(file, "{line}")?;
                }
                Ok(())
            });
        if let Err(error) = written {
            tracing::warn!(%error, path = %path.display(), "speech log not written");
        }
    }
}

/// The OS's voices. A language without a voice is spoken by an English one (the screen still
/// shows the customer's language), and staff are told once per language in the log.
///
/// The speech service is reached when there is first something to say: a kiosk whose customers
/// never ask for speech starts no speech server (speech-dispatcher, started on demand, lists
/// every voice into its log at each start).
fn speak_utterances(receiver: &mpsc::Receiver<Vec<Utterance>>) {
    let Ok(first) = receiver.recv() else {
        return;
    };
    let mut tts = match tts::Tts::default() {
        Ok(tts) => tts,
        Err(error) => {
            tracing::warn!(%error, "no speech service: the kiosk stays silent (install speech-dispatcher and speech-dispatcher-espeak-ng)");
            // Drain, so that senders never block on a dead thread.
            for _ in receiver {}
            return;
        }
    };
    let voices = tts.voices().unwrap_or_default();
    let mut told = std::collections::BTreeSet::new();
    let mut current: Option<String> = None;
    for batch in std::iter::once(first).chain(receiver) {
        for (index, utterance) in batch.iter().enumerate() {
            let voice = voice_for(&voices, utterance.lang).or_else(|| {
                if told.insert(utterance.lang) {
                    tracing::warn!(
                        lang = utterance.lang,
                        "no voice for this language: speaking English (install speech-dispatcher-espeak-ng, or a voice for it)"
                    );
                }
                voice_for(&voices, "en")
            });
            if let Some(voice) = voice
                && current.as_deref() != Some(voice.id().as_str())
            {
                if let Err(error) = tts.set_voice(voice) {
                    tracing::debug!(%error, "voice not set");
                }
                current = Some(voice.id());
            }
            // The first line of a batch interrupts what is still being said.
            if let Err(error) = tts.speak(utterance.text.clone(), index == 0) {
                tracing::warn!(%error, "speech failed");
            }
        }
    }
}

fn voice_for<'a>(voices: &'a [tts::Voice], lang: &str) -> Option<&'a tts::Voice> {
    voices.iter().find(|voice| {
        voice
            .language()
            .primary_language()
            .eq_ignore_ascii_case(lang)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(lines: &[&str], hint: Option<&str>) -> ScreenSpeech {
        ScreenSpeech {
            lines: lines.iter().map(|s| (*s).to_owned()).collect(),
            hint: hint.map(str::to_owned),
        }
    }

    fn texts(utterances: &[Utterance]) -> Vec<&str> {
        utterances.iter().map(|u| u.text.as_str()).collect()
    }

    #[test]
    fn a_new_screen_is_read_whole_and_then_only_a_new_hint() {
        let mut narrator = Narrator::new(true);
        let said = narrator.update(Locale::En, screen(&["Front", "Hold it up"], None));
        assert_eq!(texts(&said), ["Front", "Hold it up"]);
        assert!(
            narrator
                .update(Locale::En, screen(&["Front", "Hold it up"], None))
                .is_empty()
        );
        let said = narrator.update(Locale::En, screen(&["Front", "Hold it up"], Some("Closer")));
        assert_eq!(texts(&said), ["Closer"]);
        assert!(
            narrator
                .update(Locale::En, screen(&["Front", "Hold it up"], Some("Closer")))
                .is_empty()
        );
        let said = narrator.update(Locale::Lt, screen(&["Priekis"], None));
        assert_eq!(said[0].lang, "lt");
        assert_eq!(texts(&said), ["Priekis"]);
    }

    #[test]
    fn silent_until_read_aloud_and_read_from_the_title_when_switched_on() {
        let mut narrator = Narrator::new(false);
        assert!(
            narrator
                .update(Locale::En, screen(&["Welcome"], None))
                .is_empty()
        );
        narrator.toggle();
        assert_eq!(
            texts(&narrator.update(Locale::En, screen(&["Welcome"], None))),
            ["Welcome"]
        );
        narrator.toggle();
        assert!(
            narrator
                .update(Locale::En, screen(&["Next"], None))
                .is_empty()
        );
    }

    #[test]
    fn the_focused_control_is_named_only_when_reading_aloud() {
        let mut narrator = Narrator::new(false);
        assert!(narrator.focused(Locale::En, "Start").is_empty());
        narrator.toggle();
        assert_eq!(texts(&narrator.focused(Locale::Lt, "Pradėti")), ["Pradėti"]);
        assert!(narrator.focused(Locale::Lt, " ").is_empty());
    }

    #[test]
    fn headphones_are_read_from_the_sound_servers_sinks() {
        let sinks = |state: &str, port: &str| {
            format!(
                "Sink #0\n\tState: {state}\n\tName: alsa_output.pci-0000_00_1f.3.analog-stereo\n\tPorts:\n\t\tanalog-output-speaker: Speakers\n\t\tanalog-output-headphones: Headphones\n\tActive Port: {port}\n"
            )
        };
        assert_eq!(
            headset_in_pactl(&sinks("RUNNING", "analog-output-headphones")),
            Some(true)
        );
        assert_eq!(
            headset_in_pactl(&sinks("SUSPENDED", "analog-output-speaker")),
            Some(false)
        );
        // The running sink decides over an idle one with headphones.
        let two = format!(
            "{}{}",
            sinks("SUSPENDED", "analog-output-headphones"),
            sinks("RUNNING", "analog-output-speaker").replace("Sink #0", "Sink #1")
        );
        assert_eq!(headset_in_pactl(&two), Some(false));
        assert_eq!(headset_in_pactl(""), None);
    }

    #[test]
    fn backends_parse_from_the_config() {
        assert_eq!(SpeechBackend::parse("system"), Some(SpeechBackend::System));
        assert_eq!(
            SpeechBackend::parse("log:/tmp/said.jsonl"),
            Some(SpeechBackend::Log("/tmp/said.jsonl".into()))
        );
        assert_eq!(SpeechBackend::parse("log:"), None);
        assert_eq!(SpeechBackend::parse("espeak"), None);
    }

    #[test]
    fn the_log_backend_writes_one_json_object_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("said.jsonl");
        let speech = Speech::start(SpeechBackend::Log(path.clone()));
        speech.say(vec![Utterance {
            lang: "lt",
            text: "Patvirtinkite savo tapatybę".into(),
        }]);
        drop(speech);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"lang\":\"lt\",\"text\":\"Patvirtinkite savo tapatybę\"}\n"
        );
    }
}
